package sound

import "unsafe"

// bytesToInt16 views a device buffer of 16-bit little-endian samples as
// int16s (the machine is little-endian, as every platform Peercall runs on).
func bytesToInt16(b []byte, samples int) []int16 {
	if len(b) < 2*samples || samples == 0 {
		return nil
	}
	return unsafe.Slice((*int16)(unsafe.Pointer(&b[0])), samples)
}
