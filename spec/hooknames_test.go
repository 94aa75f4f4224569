package spec

import "testing"

func TestParseHookName(t *testing.T) {
	for s, want := range map[string]Hook{
		"all": HookAll, "new_login": HookNewLogin, "NewLogin": HookNewLogin, "HOOK_NEWLOGOUT": HookNewLogout,
		"duplicated_session": HookDupSess, "dupsess": HookDupSess, "permissions_change": HookPermsChg,
		"permschg": HookPermsChg, " new_logout ": HookNewLogout,
	} {
		got, err := ParseHookName(s)
		if err != nil || got != want {
			t.Errorf("ParseHookName(%q) = %v, %v; want %v", s, got, err, want)
		}
		if back, err := ParseHookName(got.Name()); err != nil || back != got {
			t.Errorf("%v: Name %q does not parse back (%v)", got, got.Name(), err)
		}
	}
	for _, s := range []string{"", "1", "new login", "HOOK_", "bogus"} {
		if _, err := ParseHookName(s); err == nil {
			t.Errorf("ParseHookName(%q) accepted", s)
		}
	}
}

// FuzzParseHookName: any accepted name denotes a defined hook whose
// canonical name reads back as the same hook.
func FuzzParseHookName(f *testing.F) {
	for _, s := range []string{"all", "new_login", "HOOK_DUPSESS", "permschg", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHookName(s)
		if err != nil {
			return
		}
		if !h.Valid() {
			t.Fatalf("%q parsed to undefined hook %d", s, h)
		}
		if back, err := ParseHookName(h.Name()); err != nil || back != h {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, h, h.Name(), back, err)
		}
	})
}
