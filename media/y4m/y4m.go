// Package y4m reads and writes YUV4MPEG2 (Y4M) clips of 4:2:0 pictures:
// the raw video format of ffmpeg, libvpx's tools and Chromium's fake
// camera. Peercall sends a clip in place of the camera (`--source
// FILE.y4m`) and writes the pictures it receives to one (`--video-out
// FILE.y4m`), so that a call can be measured against the clip it sent.
//
// A clip is a header line, "YUV4MPEG2" followed by space-separated
// parameters (W width, H height, F rate as num:den, I interlacing, A pixel
// aspect, C colour space, X extensions), then for each picture a line
// "FRAME" (with optional parameters) followed by the Y, Cb and Cr planes,
// each row after row without padding. Only 4:2:0 with 8-bit samples is
// read (C420, C420jpeg, C420paldv, C420mpeg2, or no C at all).
package y4m

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"
)

// Header is what a clip's first line says.
type Header struct {
	Width, Height int
	// RateNum/RateDen is the frame rate; 0/0 when the clip does not say.
	RateNum, RateDen int
}

// FPS is the frame rate as a number, 0 when unknown.
func (h Header) FPS() float64 {
	if h.RateNum <= 0 || h.RateDen <= 0 {
		return 0
	}
	return float64(h.RateNum) / float64(h.RateDen)
}

// frameBytes is the size of one 4:2:0 picture's planes.
func (h Header) frameBytes() int {
	cw, ch := (h.Width+1)/2, (h.Height+1)/2
	return h.Width*h.Height + 2*cw*ch
}

const (
	magic       = "YUV4MPEG2"
	frameMagic  = "FRAME"
	maxLine     = 1 << 12 // header and frame lines
	maxSide     = 16384
	maxFrameLen = 256 << 20
)

// ErrFormat is wrapped by every error about a file that is not a clip
// Peercall can read.
var ErrFormat = errors.New("not a 4:2:0 Y4M clip")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// readLine reads one line ending in '\n', refusing one longer than
// maxLine.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && b.Len() > 0 {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		if c == '\n' {
			return b.String(), nil
		}
		if b.Len() >= maxLine {
			return "", formatErr("a line longer than %d bytes", maxLine)
		}
		b.WriteByte(c)
	}
}

// parseHeader reads the parameters of a header line.
func parseHeader(line string) (Header, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != magic {
		return Header{}, formatErr("the file does not start with %s", magic)
	}
	var h Header
	for _, f := range fields[1:] {
		v := f[1:]
		switch f[0] {
		case 'W':
			h.Width, _ = strconv.Atoi(v)
		case 'H':
			h.Height, _ = strconv.Atoi(v)
		case 'F':
			num, den, ok := strings.Cut(v, ":")
			n, errN := strconv.Atoi(num)
			d, errD := strconv.Atoi(den)
			if !ok || errN != nil || errD != nil || n <= 0 || d <= 0 {
				return Header{}, formatErr("frame rate %q", v)
			}
			h.RateNum, h.RateDen = n, d
		case 'I':
			if v != "p" && v != "?" {
				return Header{}, formatErr("interlaced pictures (I%s)", v)
			}
		case 'C':
			switch v {
			case "420", "420jpeg", "420paldv", "420mpeg2":
			default:
				return Header{}, formatErr("colour space C%s (only 4:2:0 with 8-bit samples is read)", v)
			}
		}
	}
	if h.Width <= 0 || h.Height <= 0 || h.Width > maxSide || h.Height > maxSide {
		return Header{}, formatErr("picture size %dx%d", h.Width, h.Height)
	}
	if h.frameBytes() > maxFrameLen {
		return Header{}, formatErr("pictures of %dx%d are too large", h.Width, h.Height)
	}
	return h, nil
}

// Reader reads a clip's pictures one after the other.
type Reader struct {
	r      *bufio.Reader
	header Header
	frames int
}

// NewReader reads the header from r.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	line, err := readLine(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, formatErr("the file ends before its header does")
		}
		return nil, err
	}
	h, err := parseHeader(line)
	if err != nil {
		return nil, err
	}
	return &Reader{r: br, header: h}, nil
}

// Header is the clip's header.
func (r *Reader) Header() Header { return r.header }

// Read reads the next picture into img, which must be a 4:2:0 picture of
// the clip's size (NewPicture makes one). It returns io.EOF after the
// last whole picture and an ErrFormat error for a clip cut short or a
// picture without its FRAME line.
func (r *Reader) Read(img *image.YCbCr) error {
	w, h := r.header.Width, r.header.Height
	if img.Rect.Dx() != w || img.Rect.Dy() != h || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("y4m: picture of %v for a %dx%d clip", img.Rect.Size(), w, h)
	}
	line, err := readLine(r.r)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return r.cut(err)
	}
	if f := strings.Fields(line); len(f) == 0 || f[0] != frameMagic {
		return formatErr("picture %d does not start with %s", r.frames+1, frameMagic)
	}
	for _, p := range planes(img) {
		for y := 0; y < p.h; y++ {
			row := p.off + y*p.stride
			if _, err := io.ReadFull(r.r, p.buf[row:row+p.w]); err != nil {
				return r.cut(err)
			}
		}
	}
	r.frames++
	return nil
}

func (r *Reader) cut(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr("the clip is cut short in picture %d", r.frames+1)
	}
	return err
}

// NewPicture makes a 4:2:0 picture of the clip's size.
func (h Header) NewPicture() *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, h.Width, h.Height), image.YCbCrSubsampleRatio420)
}

// Writer writes pictures of one size as a clip.
type Writer struct {
	w      *bufio.Writer
	header Header
}

// NewWriter writes the header of a clip of h's size and rate to w.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Width <= 0 || h.Height <= 0 || h.Width > maxSide || h.Height > maxSide {
		return nil, fmt.Errorf("y4m: picture size %dx%d", h.Width, h.Height)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	rate := ""
	if h.RateNum > 0 && h.RateDen > 0 {
		rate = fmt.Sprintf(" F%d:%d", h.RateNum, h.RateDen)
	}
	if _, err := fmt.Fprintf(bw, "%s W%d H%d%s Ip A1:1 C420jpeg\n", magic, h.Width, h.Height, rate); err != nil {
		return nil, err
	}
	return &Writer{w: bw, header: h}, nil
}

// Size is the clip's picture size.
func (w *Writer) Size() image.Point { return image.Pt(w.header.Width, w.header.Height) }

// Write appends a 4:2:0 picture of the clip's size.
func (w *Writer) Write(img *image.YCbCr) error {
	width, height := w.header.Width, w.header.Height
	if img.Rect.Dx() != width || img.Rect.Dy() != height || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("y4m: picture of %v for a %dx%d clip", img.Rect.Size(), width, height)
	}
	if _, err := w.w.WriteString(frameMagic + "\n"); err != nil {
		return err
	}
	for _, p := range planes(img) {
		for y := 0; y < p.h; y++ {
			row := p.off + y*p.stride
			if _, err := w.w.Write(p.buf[row : row+p.w]); err != nil {
				return err
			}
		}
	}
	return nil
}

// plane is one of a picture's three planes: where its first sample is,
// its stride and its size.
type plane struct {
	buf               []byte
	off, stride, w, h int
}

// planes are a 4:2:0 picture's Y, Cb and Cr planes, in the clip's order.
func planes(img *image.YCbCr) [3]plane {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	y0 := img.YOffset(img.Rect.Min.X, img.Rect.Min.Y)
	c0 := img.COffset(img.Rect.Min.X, img.Rect.Min.Y)
	return [3]plane{
		{img.Y, y0, img.YStride, w, h},
		{img.Cb, c0, img.CStride, cw, ch},
		{img.Cr, c0, img.CStride, cw, ch},
	}
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }
