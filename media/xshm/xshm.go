//go:build !windows

// Package xshm shares memory with an X server (MIT-SHM): pictures read from
// the screen or put on it travel through a segment both sides map, not
// through the X connection.
package xshm

import (
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"golang.org/x/sys/unix"
)

// Segment is a System V shared-memory segment attached both here and in
// the X server.
type Segment struct {
	Seg shm.Seg
	Buf []byte
}

// Attach makes a segment of size bytes and has the server attach it. It
// fails where the server cannot share memory with this process (a remote
// display, a server without the extension: the caller has called shm.Init).
func Attach(conn *xgb.Conn, size int) (*Segment, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return nil, err
	}
	// Removed now, freed once both sides have detached.
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	buf, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return nil, err
	}
	seg, err := shm.NewSegId(conn)
	if err == nil {
		err = shm.AttachChecked(conn, seg, uint32(id), false).Check()
	}
	if err != nil {
		unix.SysvShmDetach(buf)
		return nil, err
	}
	return &Segment{Seg: seg, Buf: buf}, nil
}

// Detach lets go of the segment on both sides.
func (s *Segment) Detach(conn *xgb.Conn) {
	shm.Detach(conn, s.Seg)
	unix.SysvShmDetach(s.Buf)
	s.Buf = nil
}
