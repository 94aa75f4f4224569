package spec

import (
	"fmt"
	"strings"
)

// hookWords are the lower-case names of the hooks used outside the wire:
// by the driver protocol (docs/driver.md), the shell and the TUI.
var hookWords = [...]string{"all", "new_login", "new_logout", "duplicated_session", "permissions_change"}

// Name returns the hook's lower-case name ("new_login"), as the driver
// protocol writes it; an undefined hook gets String's form.
func (h Hook) Name() string {
	if int(h) < len(hookWords) {
		return hookWords[h]
	}
	return h.String()
}

// ParseHookName reads a hook name as users write it: the driver's
// "new_login", the compact "newlogin", or the protocol's "HOOK_NEWLOGIN",
// in any case. Numbers are not accepted: this is for names typed by
// people and scenarios, not for Info bytes (see ParseHook).
func ParseHookName(s string) (Hook, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, w := range hookWords {
		if t == w || t == strings.ReplaceAll(w, "_", "") || strings.ToUpper(t) == hookNames[i] {
			return Hook(i), nil
		}
	}
	switch t { // the protocol's short forms of the two longer names
	case "dupsess":
		return HookDupSess, nil
	case "permschg":
		return HookPermsChg, nil
	}
	return 0, fmt.Errorf("spec: unknown hook %q (want %s)", s, strings.Join(hookWords[:], ", "))
}
