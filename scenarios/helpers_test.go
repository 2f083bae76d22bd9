package scenarios

import (
	"os"
	"testing"

	"github.com/grd-engine/grd/scenarios/idx"
)

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

// skipWithoutFashionMNIST skips a test that reads Fashion-MNIST (split
// train or test) in -short mode (60000 images are a benchmark's size, not
// a unit test's) and when the data set is not installed (make data
// installs it; make test does too, so CI runs these tests).
func skipWithoutFashionMNIST(t *testing.T, split string) {
	t.Helper()
	if testing.Short() && split == "train" {
		t.Skip("reads the 60000 Fashion-MNIST training images: not in -short mode")
	}
	if _, _, err := idx.FashionMNIST(split, os.Getenv); err != nil {
		t.Skipf("Fashion-MNIST not installed (make data): %v", err)
	}
}
