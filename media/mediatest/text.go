package mediatest

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// TextPage draws a w×h page of 12-point text (16 pixels at 96 dpi), dark
// on light, as a document or a terminal on a shared screen shows it:
// the hardest picture for a video encoder to keep readable. Pages with a
// different n differ in every line.
func TextPage(w, h, n int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0xfa, 0xfa, 0xf7, 0xff}), image.Point{}, draw.Src)
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		panic(err) // the embedded font is known good
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 12, DPI: 96, Hinting: font.HintingFull})
	if err != nil {
		panic(err)
	}
	defer face.Close()
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.RGBA{0x20, 0x20, 0x28, 0xff}), Face: face}
	words := strings.Fields("the quick brown fox jumps over a lazy dog while peercall shares " +
		"this screen: func main() { fmt.Println(42) } 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	const lineHeight = 20
	for line, y := 0, 24; y < h-4; line, y = line+1, y+lineHeight {
		var b strings.Builder
		fmt.Fprintf(&b, "%03d ", line)
		for i := 0; b.Len() < w/7; i++ {
			b.WriteString(words[(line*7+i*3+n*5)%len(words)])
			b.WriteByte(' ')
		}
		d.Dot = fixed.P(16, y)
		d.DrawString(b.String())
	}
	return img
}
