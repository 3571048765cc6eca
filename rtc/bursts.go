package rtc

// socketReadBuffer is the receive buffer asked for on each host socket. A
// keyframe of a shared screen — a whole page of text — is a burst of
// several hundred packets sent at once (frames are not paced): the
// kernel's default 208 KiB receive buffer dropped a third of such a burst
// on loopback, and congestion control then took the loss for a narrow
// link. Linux grants up to net.core.rmem_max (4 MiB on Debian 12).
const socketReadBuffer = 4 << 20

// growReadBuffer asks for socketReadBuffer on conn, where it has a
// receive buffer to set; a refusal leaves the default.
func growReadBuffer(conn any) {
	if b, ok := conn.(interface{ SetReadBuffer(int) error }); ok {
		_ = b.SetReadBuffer(socketReadBuffer)
	}
}
