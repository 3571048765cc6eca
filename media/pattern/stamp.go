package pattern

import (
	"encoding/binary"
	"image"
	"time"
)

// The time code is a band of square black and white cells across the top
// of the picture: Columns cells per row, two rows. The geometry is a fixed
// fraction of the picture width (cell edges at i·W/40), so a reader finds
// the cells again in a picture scaled to another size, and at the common
// sizes the cells fall on the codec's block grid (8 px at 320 wide, 16 at
// 640, 32 at 1280, 48 at 1920).
//
// Each row starts with syncCells cells of a fixed pattern that also serve
// as the reader's black and white references; the remaining 72 cells carry,
// most significant bit first, the capture time in Unix milliseconds as a
// 48-bit two's-complement number, the magic byte and a 16-bit checksum of
// the first seven bytes.
const (
	// Columns is the number of time-code cells across the picture.
	Columns = 40
	// Rows is the number of time-code cell rows.
	Rows = 2

	syncCells = 4
	dataBits  = Rows * (Columns - syncCells) // 72
	magic     = 0xa7

	// MinWidth is the narrowest picture that can carry a time code (cells
	// of 2 px); the code is meant to survive compression from 320 px wide.
	MinWidth = 2 * Columns

	black = 16  // video-range luma of a 0 cell
	white = 235 // video-range luma of a 1 cell

	// A reading is trusted only with at least this contrast between the
	// reference cells, and when every cell is at least a quarter of that
	// contrast away from the midpoint.
	minContrast = 64
)

// syncPattern is the fixed start of each row (1 = white).
var syncPattern = [Rows][syncCells]bool{
	{true, false, true, false},
	{false, true, false, true},
}

// checksum is a CRC-16 (polynomial 0x1021, initial value 0xffff) over the
// first seven bytes of the time code. It is computed bit by bit: the input
// is tiny and this keeps everything on the stack.
func checksum(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, v := range b {
		crc ^= uint16(v) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// BandHeight is the number of rows at the top of a width-wide picture that
// Stamp overwrites.
func BandHeight(width int) int { return Rows * width / Columns }

// cellEdge is the position of the i-th cell edge along a picture of the
// given width (edges are spaced W/40 apart in both directions).
func cellEdge(i, width int) int { return i * width / Columns }

// encodeBits lays out the 72 data bits for ms.
func encodeBits(ms int64) [dataBits]bool {
	var buf [9]byte
	var full [8]byte
	binary.BigEndian.PutUint64(full[:], uint64(ms))
	copy(buf[0:6], full[2:8]) // low 48 bits
	buf[6] = magic
	binary.BigEndian.PutUint16(buf[7:9], checksum(buf[:7]))
	var bits [dataBits]bool
	for i := range bits {
		bits[i] = buf[i/8]&(0x80>>(i%8)) != 0
	}
	return bits
}

// decodeBits checks the magic byte and checksum and returns the time.
func decodeBits(bits *[dataBits]bool) (int64, bool) {
	var buf [9]byte
	for i, b := range bits {
		if b {
			buf[i/8] |= 0x80 >> (i % 8)
		}
	}
	if buf[6] != magic || binary.BigEndian.Uint16(buf[7:9]) != checksum(buf[:7]) {
		return 0, false
	}
	var full [8]byte
	copy(full[2:8], buf[0:6])
	if buf[0]&0x80 != 0 { // sign-extend the 48-bit value
		full[0], full[1] = 0xff, 0xff
	}
	return int64(binary.BigEndian.Uint64(full[:])), true
}

// cellValue reports whether cell (row, col) is white for the given bits.
func cellValue(bits *[dataBits]bool, row, col int) bool {
	if col < syncCells {
		return syncPattern[row][col]
	}
	return bits[row*(Columns-syncCells)+col-syncCells]
}

// stampable reports whether img is large enough and well formed for a
// time code, returning its size.
func stampable(img *image.YCbCr) (w, h int, ok bool) {
	if img == nil {
		return 0, 0, false
	}
	w, h = img.Rect.Dx(), img.Rect.Dy()
	if w < MinWidth || h < BandHeight(w) || img.YStride < w {
		return w, h, false
	}
	band := BandHeight(w)
	if len(img.Y) < img.YStride*(band-1)+w {
		return w, h, false
	}
	return w, h, true
}

// Stamp writes the time code for t (to the millisecond) into the top
// BandHeight(width) rows of img, with neutral chroma under it. Pictures
// narrower than MinWidth, or too short for the band, are left unchanged.
// Times within about ±4000 years of 1970 round-trip.
func Stamp(img *image.YCbCr, t time.Time) {
	w, _, ok := stampable(img)
	if !ok {
		return
	}
	bits := encodeBits(t.UnixMilli())
	row := make([]byte, 0, 2048)
	if cap(row) < w {
		row = make([]byte, 0, w)
	}
	row = row[:w]
	stampRows(img, &bits, row)
}

// stampRows draws the band using row (len = width) as scratch space.
func stampRows(img *image.YCbCr, bits *[dataBits]bool, row []byte) {
	w := len(row)
	for r := range Rows {
		for c := range Columns {
			v := byte(black)
			if cellValue(bits, r, c) {
				v = white
			}
			seg := row[cellEdge(c, w):cellEdge(c+1, w)]
			for i := range seg {
				seg[i] = v
			}
		}
		for y := cellEdge(r, w); y < cellEdge(r+1, w); y++ {
			off := y * img.YStride
			copy(img.Y[off:off+w], row)
		}
	}
	neutralChroma(img, BandHeight(w))
}

// neutralChroma sets the chroma under the top rows luma rows of img to grey.
func neutralChroma(img *image.YCbCr, rows int) {
	r := img.Rect
	for y := r.Min.Y; y < r.Min.Y+rows; y++ {
		start := img.COffset(r.Min.X, y)
		end := img.COffset(r.Max.X-1, y) + 1
		if start < 0 || end > len(img.Cb) || end > len(img.Cr) {
			return
		}
		cb, cr := img.Cb[start:end], img.Cr[start:end]
		for i := range cb {
			cb[i] = 128
			cr[i] = 128
		}
	}
}

// ReadStamp reads back the time code written by Stamp, also after lossy
// compression or scaling of the picture. It reports false when the picture
// carries no valid time code (for example a camera picture).
func ReadStamp(img *image.YCbCr) (time.Time, bool) {
	ms, _, ok := readStamp(img)
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// readStamp decodes the time code and also reports how decisively the
// cells were read: the smallest distance of a cell from the black/white
// midpoint, in percent of the contrast (50 for a pristine picture; readings
// under 25 are rejected).
func readStamp(img *image.YCbCr) (ms int64, marginPct int, ok bool) {
	w, _, ok := stampable(img)
	if !ok {
		return 0, 0, false
	}
	var levels [Rows][Columns]int
	for r := range Rows {
		y0, y1 := cellEdge(r, w), cellEdge(r+1, w)
		// Sample the middle half of each cell, away from edges that the
		// codec's transforms and loop filter blur.
		my := (y1 - y0) / 4
		y0, y1 = y0+my, y1-my
		for c := range Columns {
			x0, x1 := cellEdge(c, w), cellEdge(c+1, w)
			mx := (x1 - x0) / 4
			x0, x1 = x0+mx, x1-mx
			sum := 0
			for y := y0; y < y1; y++ {
				for _, v := range img.Y[y*img.YStride+x0 : y*img.YStride+x1] {
					sum += int(v)
				}
			}
			levels[r][c] = sum / ((y1 - y0) * (x1 - x0))
		}
	}

	// Reference levels from the sync cells.
	var hi, lo, nhi, nlo int
	for r := range Rows {
		for c := range syncCells {
			if syncPattern[r][c] {
				hi += levels[r][c]
				nhi++
			} else {
				lo += levels[r][c]
				nlo++
			}
		}
	}
	hi /= nhi
	lo /= nlo
	contrast := hi - lo
	if contrast < minContrast {
		return 0, 0, false
	}
	// Twice the midpoint, to keep the arithmetic in integers.
	mid2 := hi + lo
	marginPct = 50

	var bits [dataBits]bool
	for r := range Rows {
		for c := range Columns {
			d := 2*levels[r][c] - mid2 // twice the distance from the midpoint
			isWhite := d > 0
			marginPct = min(marginPct, abs(d)*50/contrast)
			if marginPct < 25 {
				return 0, marginPct, false // neither black nor white
			}
			if c < syncCells {
				if isWhite != syncPattern[r][c] {
					return 0, marginPct, false
				}
				continue
			}
			bits[r*(Columns-syncCells)+c-syncCells] = isWhite
		}
	}
	ms, ok = decodeBits(&bits)
	return ms, marginPct, ok
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
