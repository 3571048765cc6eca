package main

import (
	"os"
	"syscall"
)

// attachConsole gives a command started from a console somewhere to print
// and read: Peercall.exe is built for the GUI subsystem, so Windows opens
// no console for it and cmd.exe or PowerShell do not hand it theirs. When
// it was started with arguments (a subcommand, --help, the window's
// flags) from a console, it attaches to that console, and each standard
// stream that was not redirected to a file or pipe is pointed at it. A
// double-clicked Peercall has no parent console and opens none.
func attachConsole() {
	if len(os.Args) < 2 {
		return
	}
	const attachParentProcess = ^uint32(0) // ATTACH_PARENT_PROCESS
	attach := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")
	if attach.Find() != nil {
		return
	}
	if ok, _, _ := attach.Call(uintptr(attachParentProcess)); ok == 0 {
		return // no parent console, or attached already
	}
	reopen(&os.Stdin, syscall.STD_INPUT_HANDLE, "CONIN$", syscall.GENERIC_READ|syscall.GENERIC_WRITE)
	reopen(&os.Stdout, syscall.STD_OUTPUT_HANDLE, "CONOUT$", syscall.GENERIC_READ|syscall.GENERIC_WRITE)
	reopen(&os.Stderr, syscall.STD_ERROR_HANDLE, "CONOUT$", syscall.GENERIC_READ|syscall.GENERIC_WRITE)
}

// reopen points *f at the console device name when the standard handle
// std is not usable: a GUI program's handles are empty unless its parent
// redirected them, and a redirected one is kept.
func reopen(f **os.File, std int, name string, access uint32) {
	if h, err := syscall.GetStdHandle(std); err == nil && h != 0 && h != syscall.InvalidHandle {
		if _, err := syscall.GetFileType(h); err == nil {
			return
		}
	}
	p, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return
	}
	h, err := syscall.CreateFile(p, access, syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE, nil, syscall.OPEN_EXISTING, 0, 0)
	if err != nil {
		return
	}
	*f = os.NewFile(uintptr(h), name)
}
