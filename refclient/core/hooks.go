package core

import (
	"fmt"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// hookNames are the original client's names for the hooks, which the
// shell, the TUI and the driver show; ParseHookName also takes the
// protocol's.
var hookNames = [...]string{
	spec.HookAll:       "all",
	spec.HookNewLogin:  "new_login",
	spec.HookNewLogout: "new_logout",
	spec.HookDupSess:   "duplicated_session",
	spec.HookPermsChg:  "permissions_change",
}

// HookNames lists the hook names ParseHookName documents, "all" first.
func HookNames() []string { return hookNames[:] }

// ParseHookName reads a hook as a user or a script names it: the original
// client's name (new_login, duplicated_session...), the protocol's with or
// without its prefix (newlogin, HOOK_DUPSESS), or its number 0..4, in any
// case. It is the only hook-name parser of the reference client.
func ParseHookName(s string) (spec.Hook, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for h, name := range hookNames {
		if t == name {
			return spec.Hook(h), nil
		}
	}
	if h, err := spec.ParseHook(t); err == nil && h.Valid() {
		return h, nil
	}
	return 0, fmt.Errorf("unknown hook %q (one of %s)", s, strings.Join(hookNames[:], ", "))
}

// HookName is the original client's name for a hook: all, new_login,
// new_logout, duplicated_session or permissions_change.
func HookName(h spec.Hook) string {
	if h.Valid() {
		return hookNames[h]
	}
	return h.String()
}

// FormatHook renders a HOOK event as one line, e.g. "new_login bob perm=1".
func FormatHook(h Hook) string {
	name := HookName(h.Kind)
	switch h.Kind {
	case spec.HookNewLogin, spec.HookPermsChg:
		return fmt.Sprintf("%s %s perm=%d", name, h.User, h.Perm)
	case spec.HookNewLogout:
		return fmt.Sprintf("%s %s", name, h.User)
	case spec.HookDupSess:
		return fmt.Sprintf("%s from %s", name, h.IP)
	}
	return name
}
