//go:build !unix

package meminfo

// addressLimit: no address-space limit is known on this system.
func addressLimit() (float64, bool) { return 0, false }
