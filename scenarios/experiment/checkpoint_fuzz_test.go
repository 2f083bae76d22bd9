package experiment

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// FuzzDecodeCheckpoint: a checkpoint file is input too (it may be
// truncated or edited): DecodeCheckpoint never panics, and rejects with
// ErrCheckpoint; what it accepts re-encodes.
func FuzzDecodeCheckpoint(f *testing.F) {
	var good bytes.Buffer
	ck := Checkpoint{Format: CheckpointFormat, Version: "v", ScenarioHash: "h", Flows: []CheckpointFlow{{Flow: "gd",
		Rows: &Rows{T: []float64{0, 1}, W: [][]float64{{1}, {math.Inf(1)}}}}}}
	if err := ck.Encode(&good); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()/2])
	f.Add([]byte(checkpointMagic))
	f.Add([]byte("name: tiny\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ck, err := DecodeCheckpoint(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("error %v does not wrap ErrCheckpoint", err)
			}
			return
		}
		var b bytes.Buffer
		if err := ck.Encode(&b); err != nil {
			t.Fatalf("accepted checkpoint does not re-encode: %v", err)
		}
	})
}
