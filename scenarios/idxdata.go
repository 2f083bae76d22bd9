package scenarios

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/scenarios/idx"
)

// DataFile is one file a Dataset was read from, for provenance (the
// report records it, and may hash it).
type DataFile struct {
	// Path is the file as opened: absolute or relative to the working
	// directory, or, for an embedded data set, its name inside the grd
	// binary (Embedded is then true and Path is not on disk).
	Path string
	// Shape describes what the file holds: "N×rows×cols ubyte" for IDX,
	// "R rows × C columns" for CSV.
	Shape string
	// Embedded marks a data set compiled into grd (data/iris.csv, …).
	Embedded bool
}

// loadIDX reads the scenario's idx or fashion-mnist data: rows [0, n) with
// n = limit (or all), standardised as for CSV.
func (s *Scenario) loadIDX() (*Dataset, error) {
	p, key, err := s.openIDX()
	if err != nil {
		return nil, err
	}
	defer p.Close()
	ds, err := ReadIDX(p, *s.Data, 0, 0)
	if err != nil {
		return nil, s.errAt(key, err.Error(), errors.Join(ErrData, err))
	}
	return ds, nil
}

// openIDX finds and opens the two IDX files of the data section; key is
// the scenario key errors cite.
func (s *Scenario) openIDX() (p *idx.Pair, key string, err error) {
	d := s.Data
	if d.FashionMNIST != "" {
		key = "data.fashion-mnist"
		images, labels, err := idx.FashionMNIST(d.FashionMNIST, os.Getenv)
		if err != nil {
			return nil, key, s.errAt(key, err.Error(), errors.Join(ErrData, err))
		}
		p, err = idx.OpenPair(images, labels)
		if err != nil {
			return nil, key, s.errAt(key, err.Error(), errors.Join(ErrData, err))
		}
		return p, key, nil
	}
	key = "data.idx"
	ri, err := s.openIDXFile("data.idx.images", d.IDX.Images)
	if err != nil {
		return nil, key, err
	}
	rl, err := s.openIDXFile("data.idx.labels", d.IDX.Labels)
	if err != nil {
		ri.Close()
		return nil, key, err
	}
	if p, err = idx.NewPair(ri, rl); err != nil {
		ri.Close()
		rl.Close()
		return nil, key, s.errAt(key, err.Error(), errors.Join(ErrData, err))
	}
	return p, key, nil
}

// openIDXFile opens one IDX file named by the scenario: relative to the
// scenario's directory, from its file system (a scenario read from an
// fs.FS) or the OS.
func (s *Scenario) openIDXFile(key, name string) (*idx.Reader, error) {
	var r *idx.Reader
	var err error
	if s.src != nil && s.src.fsys != nil {
		r, err = openFS(s.src.fsys, path.Clean(path.Join(s.src.dir, filepath.ToSlash(name))), name)
	} else {
		p := name
		if s.src != nil && !filepath.IsAbs(name) {
			p = filepath.Join(s.src.dir, name)
		}
		// Stat first: opening a FIFO blocks until a writer comes.
		if fi, serr := os.Stat(p); serr == nil {
			if msg := checkRegular(fi); msg != "" {
				return nil, s.errAt(key, fmt.Sprintf("%s %s", p, msg), ErrData)
			}
		}
		r, err = idx.Open(p)
	}
	if err != nil {
		return nil, s.errAt(key, err.Error(), errors.Join(ErrData, err))
	}
	return r, nil
}

// openFS opens an IDX file in a file system whose files can seek (embed.FS
// and os.DirFS can).
func openFS(fsys fs.FS, p, name string) (*idx.Reader, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", name, err)
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		f.Close()
		return nil, fmt.Errorf("cannot read %s: its file system cannot seek", name)
	}
	r, err := idx.NewReader(rs, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// ReadIDX reads samples [a, b) of an IDX pair and prepares them as spec
// says: b = 0 means up to spec.Limit rows from a (all rows when Limit is
// 0); the inputs are z-scored over the rows read (a constant pixel is only
// centred) unless spec.Standardize is false; the labels become one-hot
// targets with K = 1 + the largest label read. Only rows [a, b) are held
// in memory (the reader streams), so a process that needs a slice of the
// data reads only that slice. spec's file names are not used (the caller
// opened p). Errors are package idx's: they name the file and byte offset.
func ReadIDX(p *idx.Pair, spec DataSpec, a, b int) (*Dataset, error) {
	n := p.N()
	if b == 0 {
		b = n
		if spec.Limit > 0 {
			b = min(n, a+spec.Limit)
		}
	}
	x, labels, err := p.ReadRange(a, b)
	if err != nil {
		return nil, err
	}
	rows, in := b-a, p.Inputs()
	if rows == 0 {
		return nil, fmt.Errorf("%s: no samples in rows [%d, %d) (the file has N = %d)", p.Images.Name(), a, b, n)
	}
	ds := &Dataset{File: p.Images.Name(), Rows: n,
		Mean: make([]float64, in), Scale: make([]float64, in)}
	for j := range ds.Scale {
		ds.Scale[j] = 1
	}
	if spec.StandardizeOn() {
		standardize(x, rows, in, ds.Mean, ds.Scale)
	}
	k := 0
	for _, l := range labels {
		k = max(k, l+1)
	}
	y := make([]float64, rows*k)
	for i, l := range labels {
		y[i*k+l] = 1
	}
	ds.Data = &models.Data{N: rows, In: in, Out: k, X: x, Y: y, Labels: labels}
	ds.Files = []DataFile{
		{Path: p.Images.Name(), Shape: p.Images.Shape()},
		{Path: p.Labels.Name(), Shape: p.Labels.Shape()},
	}
	if err := ds.Data.Validate(); err != nil {
		panic(fmt.Sprintf("scenarios: internal error: ReadIDX produced invalid data: %v", err))
	}
	return ds, nil
}
