package server

import (
	"net/http"

	"madoguchi/internal/store"
)

// accountMFAPolicy lets an account administrator decide whether their
// organization's contacts must use a second factor. Each contact's sign-in
// state is worked out afresh on every request, so turning it on sends a
// contact without a paired factor to pair one at their next page or sign-in;
// turning it off lets contacts switch theirs off on their account page.
func (s *Server) accountMFAPolicy(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	me := rc.User
	required := r.PostFormValue("mfa_required") == "1"
	if err := s.store.SetAccountMFARequired(r.Context(), me.AccountID, required,
		store.Audit{ActorID: me.ID, Action: "account.mfa_policy", IP: rc.IP}); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), "flash", "admin.policy_saved_flash")
	return seeOther(w, r, "/account/contacts#mfa-policy")
}
