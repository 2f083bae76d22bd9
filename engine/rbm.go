package engine

import (
	"errors"
	"fmt"

	"github.com/grd-engine/grd/models"
)

// DefaultCDK is the number of Gibbs sweeps of a contrastive-divergence
// estimate when its K is 0 (CD-1): the cd flow, CDDiffusion and CDMetric.
const DefaultCDK = 1

// ErrNotRBM is the cause of every error returned because a computation
// that needs a restricted Boltzmann machine (the cd flow, CDDiffusion,
// CDMetric) was given another model; test for it with errors.Is. The
// error itself is a *NotRBMError.
var ErrNotRBM = errors.New("contrastive divergence needs an RBM")

// NotRBMError reports that a contrastive-divergence computation got a
// model that is not a *models.RBM.
type NotRBMError struct {
	Model string // the model's name (models.Model.Name)
}

func (e *NotRBMError) Error() string {
	return fmt.Sprintf("engine: cd flow: contrastive divergence needs an RBM (model kind rbm), got %s", e.Model)
}

// Is reports whether target is ErrNotRBM.
func (e *NotRBMError) Is(target error) bool { return target == ErrNotRBM }

// RBM returns m as an RBM, or a *NotRBMError.
func RBM(m models.Model) (*models.RBM, error) {
	r, ok := m.(*models.RBM)
	if !ok {
		return nil, &NotRBMError{Model: m.Name()}
	}
	return r, nil
}

// mix64 is the SplitMix64 finaliser (a bijection of uint64 with good
// avalanche), used to decorrelate the PCG seeds of the CD estimators.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
