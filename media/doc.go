// Package media holds Peercall's media paths that do not depend on WebRTC
// signalling: video sources (camera or a generated test pattern), the
// real-time send loop that encodes frames for the network, the receive
// pipeline that assembles VP8 frames from RTP, decodes them and hands them to
// a sink, the audio send and receive loops, and the call statistics gathered
// on the way. It never imports the user interface.
package media
