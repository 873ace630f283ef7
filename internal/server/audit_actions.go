package server

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"

	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
)

// auditGroup is one <optgroup> of the audit log's action filter.
type auditGroup struct {
	Key     string // translation key of the group's label
	Actions []string
}

// auditGroups lists the actions the application records, grouped as the
// filter offers them. An action missing here is still shown in the log
// (under its raw name); it only cannot be chosen in the filter.
var auditGroups = []auditGroup{
	{"audit.group.signin", []string{"login.success", "login.failure", "login.otp_success", "login.otp_failure", "logout"}},
	{"audit.group.password", []string{"password.change", "password.forgot", "password.reset", "password.cli_reset"}},
	{"audit.group.mfa", []string{"mfa.enroll", "mfa.method_change", "mfa.disable", "mfa.recovery_codes",
		"mfa.recovery_code_used", "mfa.reset"}},
	{"audit.group.users", []string{"registration.approve", "registration.reject", "user.invite", "user.welcome",
		"contacts.resend", "contacts.roles", "contacts.disable", "contacts.enable", "terms.accept",
		"user.invite_resend", "user.role", "user.disable", "user.enable", "user.password_reset"}},
	{"audit.group.organizations", []string{"account.create", "account.rename", "account.mfa_policy", "account.partner",
		"partner.link", "partner.unlink"}},
	{"audit.group.catalog", []string{"catalog.product_create", "catalog.product_update", "catalog.category_create",
		"catalog.category_update", "catalog.problem_create", "catalog.problem_update", "terms.publish"}},
	{"audit.group.cases", []string{"case.comment", "case.set_status", "case.escalate", "case.propose_solution",
		"case.accept_solution", "case.reject_solution", "case.close", "case.reopen", "case.auto_close",
		"case.fields", "case.assign", "attachment.download"}},
}

// signInActions are the entries an agent sees as a contact's recent
// sign-in activity.
var signInActions = []string{"login.success", "login.failure", "login.otp_success", "login.otp_failure",
	"mfa.recovery_code_used", "mfa.enroll", "mfa.method_change", "mfa.reset", "mfa.disable", "password.reset"}

// auditActionKey is the translation key of an action's label:
// "login.success" → "audit.action.login_success".
func auditActionKey(action string) string {
	return "audit.action." + strings.ReplaceAll(action, ".", "_")
}

// auditActionLabel translates an action; one without a label (recorded by a
// newer version, or by an area that has not named it yet) shows as itself.
func auditActionLabel(l *i18n.Localizer, action string) string {
	key := auditActionKey(action)
	if s := l.T(key); s != key {
		return s
	}
	return action
}

// auditDetail is one readable item of an entry's detail.
type auditDetail struct {
	Label string
	Value string
	Link  string // a case the item names
}

// auditDetailFirst are shown before the other detail items, in this order:
// what an investigator reads first.
var auditDetailFirst = []string{"case", "reference", "note", "reason", "by", "email"}

// auditDetails writes an entry's detail as labelled items: the case it
// names linked, known keys translated, unknown ones under their raw name.
func auditDetails(l *i18n.Localizer, d map[string]any) []auditDetail {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if i := slices.Index(auditDetailFirst, k); i >= 0 {
			return i
		}
		return len(auditDetailFirst)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	out := make([]auditDetail, 0, len(keys))
	for _, k := range keys {
		v := auditValue(l, k, d[k])
		if v == "" {
			continue
		}
		item := auditDetail{Label: k, Value: v}
		if key := "audit.detail." + k; l.T(key) != key {
			item.Label = l.T(key)
		}
		if k == "case" || k == "reference" {
			if n := norm.Identifier(v); portal.ValidCaseNumber(n) {
				item.Value, item.Link = n, "/cases/"+n
			}
		}
		out = append(out, item)
	}
	return out
}

// auditValue writes one detail value as text.
func auditValue(l *i18n.Localizer, key string, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if key == "from" || key == "to" {
			// A case's sub-statuses, named as the case page names them.
			if k := "substatus." + v; l.T(k) != k {
				return l.T(k)
			}
		}
		if key == "by" || key == "method" || key == "previous" || key == "next_step" {
			// Short codes with labels of their own.
			if k := "audit.value." + v; l.T(k) != k {
				return l.T(k)
			}
		}
		return v
	case bool:
		if v {
			return l.T("audit.value.yes")
		}
		return l.T("audit.value.no")
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			if s := auditValue(l, key, e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
