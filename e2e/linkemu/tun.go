package linkemu

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenTUN makes a TUN device called name (IP packets, no packet
// information header) in the network namespace of the calling thread and
// returns it open, non-blocking, ready for Start. The device goes away
// when the file is closed. Needs CAP_NET_ADMIN. To make it in another
// namespace, call it on a thread locked into that namespace: the device
// stays there.
func OpenTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("/dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "tun:"+name), nil
}
