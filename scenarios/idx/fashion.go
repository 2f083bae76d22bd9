package idx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Where Fashion-MNIST is looked for.
const (
	// EnvDataDir names the environment variable of the user's data
	// directory; Fashion-MNIST is looked for in its fashion-mnist/.
	EnvDataDir = "GRD_DATA_DIR"
	// SystemDataDir is where Debian's dataset packages install
	// (dataset-fashion-mnist puts its files in SystemDataDir/fashion-mnist).
	SystemDataDir = "/usr/share/datasets"
	// FashionMNISTSubdir is the directory name under a data directory.
	FashionMNISTSubdir = "fashion-mnist"
)

// FashionMNISTFiles returns the standard file names of a Fashion-MNIST
// split, "train" (60000 samples) or "test" (10000 samples, the files named
// t10k-…): train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz, or
// t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.
func FashionMNISTFiles(split string) (images, labels string, err error) {
	var prefix string
	switch split {
	case "train":
		prefix = "train"
	case "test":
		prefix = "t10k"
	default:
		return "", "", &Error{Offset: -1, Err: ErrNotFound,
			Msg: fmt.Sprintf("Fashion-MNIST split %q: want train (60000 samples) or test (10000)", split)}
	}
	return prefix + "-images-idx3-ubyte.gz", prefix + "-labels-idx1-ubyte.gz", nil
}

// FashionMNISTDirs returns the directories searched for Fashion-MNIST, in
// order: $GRD_DATA_DIR/fashion-mnist (if getenv(EnvDataDir) is not empty),
// then SystemDataDir/fashion-mnist. getenv is the environment lookup
// (os.Getenv in a program); nil means no environment.
func FashionMNISTDirs(getenv func(string) string) []string {
	var dirs []string
	if getenv != nil {
		if d := getenv(EnvDataDir); d != "" {
			dirs = append(dirs, filepath.Join(d, FashionMNISTSubdir))
		}
	}
	return append(dirs, filepath.Join(SystemDataDir, FashionMNISTSubdir))
}

// FashionMNIST finds the image and label files of a Fashion-MNIST split
// ("train" or "test") in the directories of FashionMNISTDirs(getenv); see
// FindFashionMNIST. grd never downloads.
func FashionMNIST(split string, getenv func(string) string) (images, labels string, err error) {
	note := ""
	if getenv == nil || getenv(EnvDataDir) == "" {
		note = " ($" + EnvDataDir + " is not set)"
	}
	return findFashion(split, FashionMNISTDirs(getenv), note)
}

// FindFashionMNIST returns the paths of the two files of a split from the
// first directory in dirs that holds both. In each directory the
// standard .gz name is tried first, then the same name without .gz (the
// files gunzipped; the decoder detects compression by content anyway).
// When no directory holds both, the error (ErrNotFound) lists every
// directory with what was missing there, and says how to get the files.
func FindFashionMNIST(split string, dirs []string) (images, labels string, err error) {
	return findFashion(split, dirs, "")
}

// findFashion is FindFashionMNIST with a note after "looked in".
func findFashion(split string, dirs []string, note string) (images, labels string, err error) {
	imgName, lblName, err := FashionMNISTFiles(split)
	if err != nil {
		return "", "", err
	}
	var report strings.Builder
	for _, dir := range dirs {
		img, imgOK := findFile(dir, imgName)
		lbl, lblOK := findFile(dir, lblName)
		if imgOK && lblOK {
			return img, lbl, nil
		}
		fmt.Fprintf(&report, "\n  %s: ", dir)
		switch fi, err := os.Stat(dir); {
		case err != nil:
			report.WriteString("no such directory")
		case !fi.IsDir():
			report.WriteString("not a directory")
		case !imgOK && !lblOK:
			report.WriteString("neither file")
		case !imgOK:
			report.WriteString("no " + imgName)
		default:
			report.WriteString("no " + lblName)
		}
	}
	return "", "", &Error{Offset: -1, Err: ErrNotFound, Msg: fmt.Sprintf(
		"Fashion-MNIST %s: %s and %s not found; looked in%s:%s\n"+
			"Install them with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu, into %s), "+
			"or put the four files from https://github.com/zalandoresearch/fashion-mnist in DIR/%s and set %s=DIR. "+
			"grd never downloads.",
		split, imgName, lblName, note, report.String(), filepath.Join(SystemDataDir, FashionMNISTSubdir), FashionMNISTSubdir, EnvDataDir)}
}

// findFile returns dir/name, or dir/name without its .gz, whichever is a
// regular file first.
func findFile(dir, name string) (string, bool) {
	for _, n := range []string{name, strings.TrimSuffix(name, ".gz")} {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}
