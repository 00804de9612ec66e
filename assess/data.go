package assess

import (
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed data/*.yaml
var dataFS embed.FS

// Requirement is one IEC 62443-3-3 SR or RE.
type Requirement struct {
	ID         string `yaml:"id" json:"id"`
	FR         string `yaml:"fr" json:"fr"`
	Title      string `yaml:"title" json:"title"`
	MinSL      int    `yaml:"min_sl" json:"min_sl"`
	Unverified bool   `yaml:"unverified" json:"unverified,omitempty"`
	Note       string `yaml:"note" json:"note,omitempty"`
}

// Section is an SP 800-82r3 section.
type Section struct {
	ID         string `yaml:"id"`
	Title      string `yaml:"title"`
	Unverified bool   `yaml:"unverified"`
}

// Control is an SP 800-53r5 control with its 800-53B baselines.
type Control struct {
	ID        string   `yaml:"id"`
	Title     string   `yaml:"title"`
	Baselines []string `yaml:"baselines"`
}

type named struct {
	ID    string `yaml:"id"`
	Abbr  string `yaml:"abbr"`
	Title string `yaml:"title"`
	Name  string `yaml:"name"`
	Text  string `yaml:"text"`
	Unver bool   `yaml:"unverified"`
}

type edge struct {
	ID    string `yaml:"id"`
	Basis string `yaml:"basis"`
	Why   string `yaml:"why"`
}

// CrosswalkEntry is one finding family of data/crosswalk.yaml.
type CrosswalkEntry struct {
	ID         string   `yaml:"id"`
	Title      string   `yaml:"title"`
	IEC62443_3 []edge   `yaml:"iec62443_3_3"`
	IEC62443_2 []string `yaml:"iec62443_3_2"`
	NIST82     []string `yaml:"nist_800_82r3"`
	NIST53     []edge   `yaml:"nist_800_53r5"`
	CSF        []edge   `yaml:"csf_2_0"`
	Attack     []string `yaml:"attack_ics"`
	Mitigation []string `yaml:"attack_ics_mitigations"`
	Unverified bool     `yaml:"unverified"`
}

type baseline struct {
	Impact   string `yaml:"impact"`
	Baseline string `yaml:"baseline"`
	Controls int    `yaml:"controls"`
}

// Data is the reference data the assessment uses (data/*.yaml).
type Data struct {
	FRs          []named
	Requirements []Requirement
	ZCR          []named
	Sections     []Section
	Controls     []Control
	CSF          []named
	Techniques   []named
	Mitigations  []named
	Crosswalk    map[string]*CrosswalkEntry
	Baselines    []baseline
	Sources      map[string]DataSource

	req     map[string]*Requirement
	section map[string]*Section
	control map[string]*Control
	csf     map[string]*named
	tech    map[string]*named
	zcr     map[string]*named
}

// DataSource is where a data file came from and when it was taken.
type DataSource struct {
	File   string `json:"file"`
	Source string `json:"source"`
	Date   string `json:"date"`
}

var loadData = sync.OnceValues(func() (*Data, error) { return parseData() })

// LoadData returns the embedded reference data (parsed once; read-only).
func LoadData() (*Data, error) { return loadData() }

func parseData() (*Data, error) {
	d := &Data{Crosswalk: map[string]*CrosswalkEntry{}, Sources: map[string]DataSource{}}
	read := func(name string, v any) error {
		b, err := dataFS.ReadFile("data/" + name)
		if err != nil {
			return err
		}
		var meta struct {
			Source string `yaml:"source"`
			Date   string `yaml:"date"`
		}
		if err := yaml.Unmarshal(b, &meta); err != nil {
			return fmt.Errorf("assess: data/%s: %w", name, err)
		}
		if meta.Source == "" || meta.Date == "" {
			return fmt.Errorf("assess: data/%s: missing source or date", name)
		}
		d.Sources[name] = DataSource{File: "assess/data/" + name, Source: meta.Source, Date: meta.Date}
		if err := yaml.Unmarshal(b, v); err != nil {
			return fmt.Errorf("assess: data/%s: %w", name, err)
		}
		return nil
	}
	var s33 struct {
		FRs  []named       `yaml:"foundational_requirements"`
		Reqs []Requirement `yaml:"requirements"`
	}
	var s32 struct {
		Reqs []named `yaml:"requirements"`
	}
	var s82 struct {
		Sections []Section `yaml:"sections"`
	}
	var s53 struct {
		Controls []Control `yaml:"controls"`
	}
	var csf struct {
		Sub []named `yaml:"subcategories"`
	}
	var att struct {
		Tech []named `yaml:"techniques"`
		Mit  []named `yaml:"mitigations"`
	}
	var cw struct {
		Findings []*CrosswalkEntry `yaml:"findings"`
	}
	var fips struct {
		Baselines []baseline `yaml:"baselines"`
	}
	for _, f := range []struct {
		name string
		v    any
	}{{"iec62443-3-3.yaml", &s33}, {"iec62443-3-2.yaml", &s32}, {"nist-800-82r3.yaml", &s82}, {"nist-800-53r5.yaml", &s53},
		{"csf-2.0.yaml", &csf}, {"attack-ics.yaml", &att}, {"crosswalk.yaml", &cw}, {"fips199.yaml", &fips}} {
		if err := read(f.name, f.v); err != nil {
			return nil, err
		}
	}
	d.FRs, d.Requirements, d.ZCR, d.Sections, d.Controls = s33.FRs, s33.Reqs, s32.Reqs, s82.Sections, s53.Controls
	d.CSF, d.Techniques, d.Mitigations, d.Baselines = csf.Sub, att.Tech, att.Mit, fips.Baselines
	for _, e := range cw.Findings {
		d.Crosswalk[e.ID] = e
	}
	d.req = map[string]*Requirement{}
	for i := range d.Requirements {
		d.req[d.Requirements[i].ID] = &d.Requirements[i]
	}
	d.section = map[string]*Section{}
	for i := range d.Sections {
		d.section[d.Sections[i].ID] = &d.Sections[i]
	}
	d.control = map[string]*Control{}
	for i := range d.Controls {
		d.control[d.Controls[i].ID] = &d.Controls[i]
	}
	d.csf, d.tech, d.zcr = index(d.CSF), index(append(append([]named{}, d.Techniques...), d.Mitigations...)), index(d.ZCR)
	if len(d.Requirements) != 100 {
		return nil, fmt.Errorf("assess: data/iec62443-3-3.yaml: %d requirements, want 100", len(d.Requirements))
	}
	return d, nil
}

func index(l []named) map[string]*named {
	m := make(map[string]*named, len(l))
	for i := range l {
		m[l[i].ID] = &l[i]
	}
	return m
}

// Requirement returns the SR/RE with id ("SR 3.1 RE 1"), or nil.
func (d *Data) Requirement(id string) *Requirement { return d.req[id] }

// FROf is the foundational requirement number of an SR/RE id ("SR 3.1" → 3),
// 0 when id is not one.
func FROf(id string) int {
	s := strings.TrimPrefix(strings.TrimSpace(id), "SR ")
	if i := strings.IndexByte(s, '.'); i > 0 {
		if n, err := strconv.Atoi(s[:i]); err == nil && n >= 1 && n <= 7 {
			return n
		}
	}
	return 0
}

// Section82 formats an SP 800-82r3 section for output: the number, with
// " (unverified)" unless the data confirms it. An unknown number is
// unverified too.
func (d *Data) Section82(id string) string {
	if s := d.section[id]; s != nil && !s.Unverified {
		return id
	}
	return id + " (unverified)"
}

// Baseline is the SP 800-53B baseline for a FIPS 199 high-water impact.
func (d *Data) Baseline(impact string) string {
	for _, b := range d.Baselines {
		if strings.EqualFold(b.Impact, impact) {
			return b.Baseline
		}
	}
	return ""
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
