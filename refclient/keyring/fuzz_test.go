package keyring

import "testing"

// FuzzOpen checks that arbitrary blobs never panic Open. The cost ceiling
// is lowered so a fuzzed header cannot request an expensive derivation.
func FuzzOpen(f *testing.F) {
	for _, pt := range []string{"", "secret", "-----BEGIN RSA PRIVATE KEY-----\n"} {
		blob, err := Seal([]byte(pt), []byte("pw"), InsecureTestParams)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob, []byte("pw"))
		f.Add(blob, []byte("wrong"))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("pw"))
	limit := Params{Time: 2, MemoryKiB: 256, Threads: 4}
	f.Fuzz(func(t *testing.T, blob, password []byte) {
		pt, err := open(blob, password, limit)
		if err == nil && len(blob) != headerLen+nonceLen+len(pt)+tagLen {
			t.Fatalf("opened %d-byte blob to %d bytes", len(blob), len(pt))
		}
	})
}
