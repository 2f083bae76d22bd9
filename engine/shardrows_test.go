package engine

import "testing"

// TestShardRows checks ShardRows' claim: for every chunk size c ≤ Chunk,
// the samples a rank computes in a pass of chunk c lie in its range.
func TestShardRows(t *testing.T) {
	for _, n := range []int{1, 7, 150, 1000, 4097, 60000} {
		chunk := (&Options{}).resolve(n, 1).Chunk
		for size := 1; size <= 9; size++ {
			for rank := range size {
				lo, hi := ShardRows(n, &Options{}, rank, size)
				if lo < 0 || hi > n || lo >= hi {
					t.Fatalf("n %d rank %d/%d: [%d, %d)", n, rank, size, lo, hi)
				}
				for c := 1; c <= chunk; c++ {
					nc := numChunks(n, c)
					s0, s1 := min(n, c*(nc*rank/size)), min(n, c*(nc*(rank+1)/size))
					if s0 < s1 && (s0 < lo || s1 > hi) {
						t.Fatalf("n %d rank %d/%d chunk %d: computes [%d, %d), outside ShardRows [%d, %d)", n, rank, size, c, s0, s1, lo, hi)
					}
				}
			}
		}
	}
}
