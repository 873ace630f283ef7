package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Longest product name, version or OS the catalog takes, in characters.
const catalogNameMax = 100

// productCreate adds a product to the catalog and prints its id.
func (a *App) productCreate(ctx context.Context, args []string) error {
	fs := a.flags("product create")
	name := fs.String("name", "", "product name as customers know it (required)")
	versions := fs.String("versions", "", `versions offered, comma-separated ("5.0,5.1,6.0")`)
	oses := fs.String("os", "", `operating systems offered, comma-separated ("Windows 11,Linux")`)
	if err := parse(fs, args); err != nil {
		return err
	}
	n := norm.Text(*name)
	switch {
	case n == "":
		return fmt.Errorf("%w: --name is required", errUsage)
	case utf8.RuneCountInString(n) > catalogNameMax || strings.ContainsAny(n, "\n\t"):
		return fmt.Errorf("%w: --name must be one line of at most %d characters", errUsage, catalogNameMax)
	}
	vs, err := catalogList("--versions", *versions)
	if err != nil {
		return err
	}
	osList, err := catalogList("--os", *oses)
	if err != nil {
		return err
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	p, err := st.CreateProduct(ctx, n, vs, osList)
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return fmt.Errorf("a product named %q already exists", n)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout(), "created product %q with %d versions and %d operating systems; its id:\n", p.Name, len(p.Versions), len(p.OSes))
	fmt.Fprintln(a.stdout(), p.ID)
	return nil
}

// catalogList splits a comma-separated flag (a Japanese comma works too),
// trimming entries and dropping empty and repeated ones.
func catalogList(flag, s string) ([]string, error) {
	s = strings.NewReplacer("、", ",", "，", ",").Replace(s)
	var out []string
	for _, part := range strings.Split(s, ",") {
		v := norm.Text(part)
		if v == "" || slices.Contains(out, v) {
			continue
		}
		if utf8.RuneCountInString(v) > catalogNameMax || strings.ContainsAny(v, "\n\t") {
			return nil, fmt.Errorf("%w: %s entry %q is too long", errUsage, flag, v)
		}
		out = append(out, v)
	}
	return out, nil
}

// The demo catalog: believable products and the categories of problems
// customers file cases under, in both languages.
var demoProducts = []struct {
	name           string
	versions, oses []string
}{
	{"Madoguchi SecureGate", []string{"5.0", "5.1", "6.0"}, []string{"Windows Server 2022", "RHEL 9", "Ubuntu 24.04"}},
	{"Sentinel License Manager", []string{"9.4", "9.5", "10.0"},
		[]string{"Windows Server 2019", "Windows Server 2022", "RHEL 8", "RHEL 9"}},
	{"Madoguchi Endpoint Protection", []string{"11.0", "11.1", "12.0"},
		[]string{"Windows 10", "Windows 11", "macOS 14", "macOS 15"}},
	{"Madoguchi Mail Gateway", []string{"3.2", "3.3"}, []string{"VMware ESXi 8", "AWS", "Microsoft Azure"}},
	{"Madoguchi Backup Server", []string{"7.0", "7.5", "8.0"}, []string{"Windows Server 2022", "Ubuntu 22.04", "Ubuntu 24.04"}},
	// A cloud service: no versions or operating systems to choose.
	{"Madoguchi Cloud Console", nil, nil},
}

type demoEntry struct{ en, ja string }

var demoCategories = []struct {
	demoEntry
	problems []demoEntry
}{
	{demoEntry{"Installation", "インストール"}, []demoEntry{
		{"Installation fails", "インストールが失敗する"},
		{"Upgrade fails", "アップグレードが失敗する"},
		{"Cannot uninstall", "アンインストールできない"},
		{"System requirements", "動作環境に関する質問"},
	}},
	{demoEntry{"Licensing", "ライセンス"}, []demoEntry{
		{"License activation fails", "ライセンスのアクティベーションが失敗する"},
		{"License expired or not recognized", "ライセンスが期限切れ・認識されない"},
		{"Moving a license to another server", "ライセンスを別のサーバーへ移行したい"},
		{"Adding licenses", "ライセンスを追加したい"},
	}},
	{demoEntry{"Performance", "性能"}, []demoEntry{
		{"Slow response", "応答が遅い"},
		{"High CPU or memory use", "CPU・メモリの使用率が高い"},
		{"Service stops or crashes", "サービスが停止する・クラッシュする"},
	}},
	{demoEntry{"Connectivity and network", "接続・ネットワーク"}, []demoEntry{
		{"Cannot connect to the server", "サーバーに接続できない"},
		{"Proxy or firewall settings", "プロキシ・ファイアウォールの設定"},
		{"Certificate (TLS) errors", "証明書（TLS）のエラー"},
	}},
	{demoEntry{"Defect", "不具合"}, []demoEntry{
		{"An error message is shown", "エラーメッセージが表示される"},
		{"A feature does not work as documented", "機能がマニュアルどおりに動作しない"},
		{"Data is not saved or is corrupted", "データが保存されない・破損する"},
	}},
	{demoEntry{"How-to question", "使い方の質問"}, []demoEntry{
		{"Configuration", "設定方法"},
		{"Day-to-day operation", "操作方法"},
		{"Recommended setup and best practices", "推奨構成・ベストプラクティス"},
	}},
	{demoEntry{"Support portal", "ポータルに関する問題"}, []demoEntry{
		{"Cannot sign in", "ログインできない"},
		{"Two-factor authentication", "二要素認証"},
		{"Notification e-mails", "通知メール"},
		{"Other portal issue", "その他のポータルに関する問題"},
	}},
}

// fillDemoCatalog adds the demo products, categories and problems.
func fillDemoCatalog(ctx context.Context, st *store.Store) error {
	for _, p := range demoProducts {
		if _, err := st.CreateProduct(ctx, p.name, p.versions, p.oses); err != nil {
			return fmt.Errorf("seed product %s: %w", p.name, err)
		}
	}
	for i, c := range demoCategories {
		cat, err := st.CreateCategory(ctx, c.en, c.ja, (i+1)*10)
		if err != nil {
			return fmt.Errorf("seed category %s: %w", c.en, err)
		}
		for j, p := range c.problems {
			if _, err := st.CreateProblem(ctx, cat.ID, p.en, p.ja, (j+1)*10); err != nil {
				return fmt.Errorf("seed problem %s: %w", p.en, err)
			}
		}
	}
	return nil
}
