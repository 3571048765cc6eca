package yuv_test

import (
	"image"

	"peercall/media/yuv"
)

// The receive goroutine converts each decoded frame into one of three images
// it owns and passes it to the UI thread, which returns the previous image
// once the new one is on screen. No image is written while it may be drawn,
// and nothing is allocated per frame.
func ExampleConverter_ConvertInto() {
	frames := make(chan *image.YCbCr) // decoded pictures
	toUI := make(chan *image.RGBA, 1) // converted, ready to draw
	free := make(chan *image.RGBA, 3) // images nobody is drawing
	widgetW, widgetH := 960, 540      // the widget's size in device pixels
	for range cap(free) {
		free <- nil // Reuse allocates on first use
	}

	go func() {
		var c yuv.Converter
		for pic := range frames {
			w, h := yuv.Fit(pic.Rect.Dx(), pic.Rect.Dy(), widgetW, widgetH)
			img := yuv.Reuse(<-free, w, h)
			if err := c.ConvertInto(img, pic, false); err != nil {
				free <- img
				continue
			}
			toUI <- img
		}
		close(toUI)
	}()

	// On the UI thread:
	var shown *image.RGBA
	for img := range toUI {
		// canvasImage.Image = img; canvasImage.Refresh()
		if shown != nil {
			free <- shown
		}
		shown = img
	}
}
