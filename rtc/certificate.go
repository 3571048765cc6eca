package rtc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"

	"github.com/pion/webrtc/v4"

	"peercall/rtc/invite"
)

// maxCertificateTries bounds the search for a certificate whose fingerprint
// starts with a zero byte: one try in 256 finds one, so 4,096 tries fail to
// in about one session in ten million, which then writes the whole
// fingerprint.
const maxCertificateTries = 4096

// newCertificate makes the session's DTLS certificate and returns it with
// its SHA-256 fingerprint. It makes certificates on one key until the
// fingerprint starts with a zero byte, which a code then leaves out
// (docs/CODES.md, section 2.1): about 256 certificates, some 20 ms of one
// core. The first byte is fixed, so 248 bits of the fingerprint stay for an
// attacker to match.
func newCertificate() (webrtc.Certificate, [32]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return webrtc.Certificate{}, [32]byte{}, err
	}
	var cert *webrtc.Certificate
	var fp [32]byte
	for range maxCertificateTries {
		if cert, err = webrtc.GenerateCertificate(key); err != nil {
			return webrtc.Certificate{}, [32]byte{}, err
		}
		if fp, err = invite.FingerprintOf(*cert); err != nil {
			return webrtc.Certificate{}, [32]byte{}, err
		}
		if fp[0] == 0 {
			break
		}
	}
	return *cert, fp, nil
}
