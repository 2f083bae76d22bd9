package idx_test

import (
	"bytes"
	"compress/gzip"
	"fmt"

	"github.com/grd-engine/grd/scenarios/idx"
)

// Write two 2×2 images as a gzip-compressed IDX file, then read the second
// one back: ubyte pixels come back divided by 255.
func ExampleReader_ReadImages() {
	var file bytes.Buffer
	zw := gzip.NewWriter(&file)
	if err := idx.Encode(zw, idx.Ubyte, []int{2, 2, 2}, []float64{0, 51, 102, 153, 204, 255, 0, 255}); err != nil {
		panic(err)
	}
	zw.Close()

	r, err := idx.NewReader(bytes.NewReader(file.Bytes()), "images.gz")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Shape(), "gzip:", r.Gzip, "N:", r.N(), "inputs:", r.RowLen())
	x := make([]float64, r.RowLen())
	if err := r.ReadImages(x, 1, 2); err != nil { // rows [1, 2)
		panic(err)
	}
	fmt.Println(x)
	// Output:
	// 2 × 2 × 2 ubyte (idx3) gzip: true N: 2 inputs: 4
	// [0.8 1 0 1]
}

// A truncated file is an error naming the file and the byte offset.
func ExampleNewReader_truncated() {
	var file bytes.Buffer
	if err := idx.Encode(&file, idx.Ubyte, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6}); err != nil {
		panic(err)
	}
	_, err := idx.NewReader(bytes.NewReader(file.Bytes()[:15]), "labels.idx")
	fmt.Println(err)
	// Output:
	// idx: labels.idx: byte 15: the file ends here, but its header (3 × 2 ubyte (idx2)) needs 18 bytes: only 1 of 3 rows are complete
}
