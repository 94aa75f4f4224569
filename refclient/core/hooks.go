package core

import (
	"fmt"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// HookNames lists the hook names ParseHookName documents, "all" first:
// the original client's names, which spec.Hook.Name gives.
func HookNames() []string {
	out := make([]string, 0, spec.HookPermsChg+1)
	for h := spec.HookAll; h <= spec.HookPermsChg; h++ {
		out = append(out, h.Name())
	}
	return out
}

// ParseHookName reads a hook as a user or a script names it: whatever
// spec.ParseHookName takes (new_login, newlogin, HOOK_DUPSESS, in any
// case) or, typed at a prompt, its number 0..4. spec.ParseHookName is the
// one name parser; this adds only the numbers.
func ParseHookName(s string) (spec.Hook, error) {
	if h, err := spec.ParseHookName(s); err == nil {
		return h, nil
	}
	if h, err := spec.ParseHook(strings.TrimSpace(s)); err == nil && h.Valid() {
		return h, nil
	}
	return 0, fmt.Errorf("unknown hook %q (one of %s)", s, strings.Join(HookNames(), ", "))
}

// HookName is the original client's name for a hook: all, new_login,
// new_logout, duplicated_session or permissions_change.
func HookName(h spec.Hook) string { return h.Name() }

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
