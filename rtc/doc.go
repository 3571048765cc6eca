// Package rtc is Peercall's call engine: a Session wraps one WebRTC peer
// connection from the invite code to hang-up. The two codes bootstrap a
// connection that carries only data channels; audio and video are then
// negotiated in band, over the "signal" channel, with perfect negotiation
// (the joiner is the polite side). Control messages such as hang-up travel
// on the "control" channel. docs/PROTOCOL.md describes both channels for
// anyone writing a compatible peer. The package never imports the user
// interface; the media paths it drives live in package media.
package rtc
