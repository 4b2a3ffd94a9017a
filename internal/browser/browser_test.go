package browser

import (
	"image"
	"image/color"
	"testing"
)

func TestVarianceAndDistinct(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	if v, n := Variance(blank), Distinct(blank, 10); v > 1e-6 || n != 1 {
		t.Errorf("a white image: variance %g, %d colours; want about 0 and 1", v, n)
	}
	half := image.NewRGBA(blank.Rect)
	copy(half.Pix, blank.Pix)
	for y := range 15 {
		for x := range 40 {
			half.Set(x, y, color.Black)
		}
	}
	// Half black, half white: luminance 0 and 255 in equal shares, so
	// the variance is (255/2)².
	if v, n := Variance(half), Distinct(half, 10); v < 127.5*127.5-1e-6 || v > 127.5*127.5+1e-6 || n != 2 {
		t.Errorf("half black: variance %g, %d colours; want %g and 2", v, n, 127.5*127.5)
	}
}
