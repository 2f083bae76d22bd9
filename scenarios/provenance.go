package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/grd-engine/grd/scenarios/idx"
)

// InputFile records one file a run read, for summary.json's provenance
// (DESIGN §9).
type InputFile struct {
	// Key is the scenario key that names the file (data.csv, init.file).
	Key string `json:"key"`
	// Path is the absolute path read, or builtin:data/<file> for a data
	// set embedded in grd.
	Path string `json:"path"`
	// SHA256 is the SHA-256 of the whole file, in hex.
	SHA256 string `json:"sha256"`
	// Bytes is the file's size.
	Bytes int64 `json:"bytes"`
	// Shape is what the file holds: [data rows, columns] for a CSV table
	// (the rows in the file, before data.limit), [d] for a weight file.
	Shape []int `json:"shape"`
}

// idxKeys are the scenario keys of an IDX data set's two files, images
// then labels.
func (s *Scenario) idxKeys() [2]string {
	if s.Data.FashionMNIST != "" {
		return [2]string{"data.fashion-mnist", "data.fashion-mnist"}
	}
	return [2]string{"data.idx.images", "data.idx.labels"}
}

// InputFiles lists the files b's scenario read (its data file — a CSV, or
// an IDX pair's two files — and its init.file; none for inline or
// generated data), each hashed anew: the
// record says what is on disk now, which is what a reader of the outputs
// can compare with.
func (b *Built) InputFiles() ([]InputFile, error) {
	s := b.Scenario
	var out []InputFile
	if s.Data != nil && s.Data.CSV != "" && b.Dataset != nil {
		in, err := s.hashFile("data.csv", s.Data.CSV, ErrData)
		if err != nil {
			return nil, err
		}
		in.Shape = []int{b.Dataset.Rows, len(b.Dataset.Columns)}
		out = append(out, in)
	}
	if s.Data != nil && s.Data.IsIDX() && b.Dataset != nil {
		keys := s.idxKeys()
		for i, f := range b.Dataset.Files {
			if f.Embedded || i >= len(keys) {
				continue
			}
			in, err := hashIDX(keys[i], f.Path)
			if err != nil {
				return nil, s.errAt(keys[i], err.Error(), ErrData)
			}
			out = append(out, in)
		}
	}
	if s.Init.File != "" {
		in, err := s.hashFile("init.file", s.Init.File, ErrWeights)
		if err != nil {
			return nil, err
		}
		in.Shape = []int{len(b.W0)}
		out = append(out, in)
	}
	return out, nil
}

// hashIDX hashes the IDX file at path (as the data loader opened it) and
// records its dimensions (N × rows × cols for images, N for labels).
func hashIDX(key, path string) (InputFile, error) {
	h, err := idx.ReadHeader(path)
	if err != nil {
		return InputFile{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return InputFile{}, err
	}
	defer f.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, f)
	if err != nil {
		return InputFile{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if a, err := filepath.Abs(path); err == nil {
		path = a
	}
	return InputFile{Key: key, Path: path, SHA256: hex.EncodeToString(sum.Sum(nil)), Bytes: n, Shape: slices.Clone(h.Dims)}, nil
}

// hashFile opens the file a scenario key names and hashes it.
func (s *Scenario) hashFile(key, name string, sentinel error) (InputFile, error) {
	f, shown, where, err := s.openFileAt(key, name, sentinel)
	if err != nil {
		return InputFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return InputFile{}, s.errAt(key, fmt.Sprintf("reading %s: %v", shown, unwrapPath(err)), sentinel)
	}
	return InputFile{Key: key, Path: where, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}
