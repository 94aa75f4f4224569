package expr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// TestEncodingOnlyDifferencesAreDeviations: a level or a timestamp that is
// right but encoded otherwise than our dialect decision passes the match
// and is reported under the encoding's requirement; a wrong value still
// fails, with no deviation.
func TestEncodingOnlyDifferencesAreDeviations(t *testing.T) {
	near := &scenario.Matcher{Kind: "stamp_near", Stamp: scenario.Stamp{Relative: true}, Within: 2 * time.Second}
	perm := &scenario.Matcher{Kind: "perm", Perm: 2}
	cases := []struct {
		name    string
		d       spec.Dialect
		m       *scenario.Matcher
		arg     []byte
		wantReq string // "" and fail: a mismatch; "" and pass: exact
		fail    bool
	}{
		{"perm raw byte", spec.DialectSpec, perm, []byte{2}, "", false},
		{"perm ASCII digit", spec.DialectSpec, perm, []byte("2"), ReqPermRaw, false},
		{"perm 4-byte integer", spec.DialectSpec, perm, []byte{0, 0, 0, 2}, ReqPermOneByte, false},
		{"perm wrong level", spec.DialectSpec, perm, []byte{3}, "", true},
		{"perm wrong ASCII level", spec.DialectSpec, perm, []byte("3"), "", true},
		{"stamp 4 bytes BE", spec.DialectSpec, near, []byte{0, 0, 0x03, 0xe8}, "", false},
		{"stamp 8 bytes BE in spec", spec.DialectSpec, near, []byte{0, 0, 0, 0, 0, 0, 0x03, 0xe8}, ReqStampSpec, false},
		{"stamp decimal in spec", spec.DialectSpec, near, []byte("1000"), ReqStampSpec, false},
		{"stamp 4 bytes BE in gochat1", spec.DialectGochat1, near, []byte{0, 0, 0x03, 0xe8}, ReqStampGochat1, false},
		{"stamp far in every encoding", spec.DialectSpec, near, []byte("5000"), "", true},
	}
	for _, c := range cases {
		e := testEnv()
		e.Dialect = c.d
		why := e.Match(c.m, c.arg, map[string][]byte{})
		if c.fail {
			assert.NotEmpty(t, why, c.name)
			assert.Empty(t, e.Deviations, c.name)
			continue
		}
		assert.Empty(t, why, c.name)
		if c.wantReq == "" {
			assert.Empty(t, e.Deviations, c.name)
		} else if assert.Len(t, e.Deviations, 1, c.name) {
			assert.Equal(t, c.wantReq, e.Deviations[0].Req, c.name)
		}
	}
}

// TestUserListRawLevelIsADeviation: "bob \x01" is bob with level 1 in
// another format than E-14's decimal; "bob \x02" is not.
func TestUserListRawLevelIsADeviation(t *testing.T) {
	e := testEnv()
	m := &scenario.Matcher{Kind: "user_list_contains", List: []scenario.Template{tmpl("bob 1")}}
	assert.Empty(t, e.MatchUserList(m, [][]byte{[]byte("amy 0\nbob \x01")}, nil))
	if assert.Len(t, e.Deviations, 1) {
		assert.Equal(t, ReqListLevel, e.Deviations[0].Req)
	}
	e.Deviations = nil
	assert.NotEmpty(t, e.MatchUserList(m, [][]byte{[]byte("bob \x02")}, nil))
	assert.NotEmpty(t, e.MatchUserList(m, [][]byte{[]byte("bob 2")}, nil))
	assert.Empty(t, e.Deviations)
}
