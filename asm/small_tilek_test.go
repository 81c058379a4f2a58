package asm

import "testing"

// narrowRef is the tile kernel reference ref on the first width
// activations of the tile: the other rows of out are left as they were.
func narrowRef(ref tileKFunc, width int) tileKFunc {
	return func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) {
		o := unsafeF32(out, 7*ldo+tileRows)
		saved := append([]float32(nil), o...)
		ref(out, ldo, w, x, nb, acc)
		for j := width; j < tileCols; j++ {
			copy(o[j*ldo:j*ldo+tileRows], saved[j*ldo:j*ldo+tileRows])
		}
	}
}

// TestTileKNarrow checks the 4- and 2-activation K-quant tile kernels of
// each path that has them against the references on those activations,
// bit for bit, with the guard values (and the other activations' rows of
// out) untouched.
func TestTileKNarrow(t *testing.T) {
	for _, c := range []struct {
		name   string
		kernel func() tileKFunc
		ref    tileKFunc
		width  int
		q6     bool
	}{
		{"q4k/4", func() tileKFunc { return table().tileK4 }, tileKKernelRef, 4, false},
		{"q4k/2", func() tileKFunc { return table().tileK2 }, tileKKernelRef, 2, false},
		{"q6k/4", func() tileKFunc { return table().tileK6x4 }, tileK6KernelRef, 4, true},
		{"q6k/2", func() tileKFunc { return table().tileK6x2 }, tileK6KernelRef, 2, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.q6 {
				testTileKernel(t, c.kernel, narrowRef(c.ref, c.width), k6WBytes, fillK6Group)
			} else {
				testTileKernel(t, c.kernel, narrowRef(c.ref, c.width), kWBytes, fillKGroup(32))
			}
		})
	}
}
