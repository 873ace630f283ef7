package server

import (
	"net/http"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// caseComment adds a comment with up to three files (Thales 5.2 "Send";
// Trend Micro "ケースの更新"): a customer's comment, an agent's public reply,
// or, with `internal`, an agent's internal note. The files are stored while
// the body streams in; if the comment is then refused (invalid, stale,
// refused by the rules, a failed transaction) they are deleted again, so
// nothing of a refused update is left behind.
func (s *Server) caseComment(w http.ResponseWriter, r *http.Request) error {
	// Only someone who may see the case gets as far as storing a file.
	c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	me, ip := reqCtx(r).User, reqCtx(r).IP
	up, err := s.readUpload(r, portal.MaxFilesPerUpdate)
	if err != nil {
		// The page says why, keeps what was typed before the files and
		// asks for the files again.
		form := Form{}
		if up != nil {
			form.Values = map[string]string{"body": up.Values.Get("body"), "internal": up.Values.Get("internal")}
		}
		return s.caseRefused(w, r, c.Number, "comment", form, err)
	}
	form := Form{Values: map[string]string{"body": up.Values.Get("body"), "internal": up.Values.Get("internal")}}
	action := portal.ActComment
	if up.Values.Get("internal") != "" {
		action = portal.ActInternalNote
	}
	_, err = s.store.Act(ctx, store.ActRequest{
		Number: c.Number, Version: formVersion(r), Actor: me, Action: action,
		Body: norm.Text(up.Values.Get("body")), Files: up.Attachments(), IP: ip, Mail: s.caseNotices,
	})
	if err != nil {
		s.discardUpload(ctx, up)
		return s.caseRefused(w, r, c.Number, "comment", form, err)
	}
	flash := "case_act.commented_flash"
	if action == portal.ActInternalNote {
		flash = "case_act.noted_flash"
	}
	s.sessions.Put(ctx, "flash", flash)
	return seeOther(w, r, casePath(c.Number))
}
