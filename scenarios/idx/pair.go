package idx

import "errors"

// Pair is an image file and its label file, checked to belong together:
// images idx2 or idx3, labels idx1, the same N.
type Pair struct {
	Images, Labels *Reader
}

// OpenPair opens an image file and a label file and checks them with
// NewPair. The caller must Close the Pair.
func OpenPair(images, labels string) (*Pair, error) {
	ri, err := Open(images)
	if err != nil {
		return nil, err
	}
	rl, err := Open(labels)
	if err != nil {
		ri.Close()
		return nil, err
	}
	p, err := NewPair(ri, rl)
	if err != nil {
		ri.Close()
		rl.Close()
		return nil, err
	}
	return p, nil
}

// NewPair checks that images is an image file (idx2 or idx3, ErrShape),
// labels a label file (idx1, ErrShape) and that their counts agree
// (ErrMismatch, reported at the label file's count, byte 4).
func NewPair(images, labels *Reader) (*Pair, error) {
	if d := len(images.Dims); d != 2 && d != 3 {
		return nil, images.fail(3, ErrShape, nil, "an image file must be idx2 (N × n) or idx3 (N × rows × cols), this one is %s%s",
			images.Shape(), swapHint(d == 1 && len(labels.Dims) > 1))
	}
	if err := labels.checkLabelFile(); err != nil {
		return nil, err
	}
	if images.N() != labels.N() {
		return nil, labels.fail(4, ErrMismatch, nil,
			"%d labels, but the image file %s has %d images: a label file for other images? (want the labels that go with %s)",
			labels.N(), images.name, images.N(), images.name)
	}
	return &Pair{Images: images, Labels: labels}, nil
}

// N returns the number of samples.
func (p *Pair) N() int { return p.Images.N() }

// Inputs returns n, the inputs per sample (rows·cols for idx3).
func (p *Pair) Inputs() int { return p.Images.RowLen() }

// Read reads samples [a, b): images into x (len (b−a)·Inputs, see
// Reader.ReadImages) and labels into labels (len b−a).
func (p *Pair) Read(x []float64, labels []int, a, b int) error {
	if err := p.Labels.ReadLabels(labels, a, b); err != nil {
		return err
	}
	return p.Images.ReadImages(x, a, b)
}

// ReadRange reads samples [a, b) into new slices, allocating as the data
// arrives (a header that lies about N cannot make it allocate more than
// the file holds).
func (p *Pair) ReadRange(a, b int) (x []float64, labels []int, err error) {
	if err := p.Images.checkRange(a, b); err != nil {
		return nil, nil, err
	}
	if labels, err = readGrow(1, a, b, !p.Labels.Gzip, p.Labels.ReadLabels); err != nil {
		return nil, nil, err
	}
	if x, err = readGrow(p.Inputs(), a, b, !p.Images.Gzip, p.Images.ReadImages); err != nil {
		return nil, nil, err
	}
	return x, labels, nil
}

// Classes returns K = 1 + the largest label in the whole label file (see
// Reader.Classes).
func (p *Pair) Classes() (int, error) { return p.Labels.Classes() }

// Close closes both files.
func (p *Pair) Close() error {
	return errors.Join(p.Images.Close(), p.Labels.Close())
}
