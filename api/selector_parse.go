package api

import (
	"fmt"
	"strings"
	"unicode"
)

type tokKind int

const (
	tokEnd tokKind = iota
	tokIdent
	tokComma
	tokOpenPar
	tokClosePar
	tokBang
	tokOp // =, ==, !=, >, <
)

type token struct {
	kind tokKind
	text string
}

// lexSelector splits a selector into tokens. Identifiers are runs of
// anything but whitespace and the selector's punctuation, as in Kubernetes'
// lexer, so keys like "example.com/tier" come through whole.
func lexSelector(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == ',':
			toks, i = append(toks, token{tokComma, ","}), i+1
		case c == '(':
			toks, i = append(toks, token{tokOpenPar, "("}), i+1
		case c == ')':
			toks, i = append(toks, token{tokClosePar, ")"}), i+1
		case strings.HasPrefix(s[i:], "!="), strings.HasPrefix(s[i:], "=="):
			toks, i = append(toks, token{tokOp, s[i : i+2]}), i+2
		case c == '=' || c == '>' || c == '<':
			toks, i = append(toks, token{tokOp, s[i : i+1]}), i+1
		case c == '!':
			toks, i = append(toks, token{tokBang, "!"}), i+1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n,()=!<>", rune(s[j])) {
				j++
			}
			toks, i = append(toks, token{tokIdent, s[i:j]}), j
		}
	}
	return append(toks, token{kind: tokEnd})
}

type selParser struct {
	toks []token
	pos  int
}

func (p *selParser) peek() token { return p.toks[p.pos] }

func (p *selParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEnd {
		p.pos++
	}
	return t
}

func describe(t token) string {
	if t.kind == tokEnd {
		return "end of string"
	}
	return fmt.Sprintf("%q", t.text)
}

// ParseSelector reads a label selector with Kubernetes' syntax:
//
//	a=b, a==b, a!=b, a in (x,y), a notin (x,y), a, !a, a>1, a<1
//
// joined by commas (AND). An empty string selects everything.
func ParseSelector(s string) (Selector, error) {
	p := &selParser{toks: lexSelector(s)}
	var sel Selector
	if p.peek().kind == tokEnd {
		return sel, nil
	}
	for {
		r, err := p.requirement()
		if err != nil {
			return Selector{}, fmt.Errorf("unable to parse requirement in %q: %w", s, err)
		}
		sel.reqs = append(sel.reqs, r)
		switch t := p.next(); t.kind {
		case tokEnd:
			sel.sort()
			return sel, nil
		case tokComma:
			if p.peek().kind == tokEnd {
				return Selector{}, fmt.Errorf("unable to parse requirement in %q: found end of string after ',', expected a requirement", s)
			}
		default:
			return Selector{}, fmt.Errorf("unable to parse requirement in %q: found %s, expected ',' or end of string", s, describe(t))
		}
	}
}

func (p *selParser) requirement() (Requirement, error) {
	t := p.next()
	if t.kind == tokBang {
		k := p.next()
		if k.kind != tokIdent {
			return Requirement{}, fmt.Errorf("found %s after '!', expected a label key", describe(k))
		}
		return NewRequirement(k.text, OpDoesNotExist, nil)
	}
	if t.kind != tokIdent {
		return Requirement{}, fmt.Errorf("found %s, expected a label key or '!'", describe(t))
	}
	key := t.text
	op := p.peek()
	switch {
	case op.kind == tokEnd || op.kind == tokComma:
		return NewRequirement(key, OpExists, nil)
	case op.kind == tokOp:
		p.next()
		return p.exactValue(key, op.text)
	case op.kind == tokIdent && (op.text == "in" || op.text == "notin"):
		p.next()
		vals, err := p.valueSet()
		if err != nil {
			return Requirement{}, err
		}
		return NewRequirement(key, SelectorOperator(op.text), vals)
	}
	return Requirement{}, fmt.Errorf("found %s after key %q, expected one of '=', '==', '!=', 'in', 'notin', ',' or end of string", describe(op), key)
}

// exactValue reads the value after =, ==, != (possibly empty: "a=" selects
// objects whose label a is the empty string) or after > and <.
func (p *selParser) exactValue(key, op string) (Requirement, error) {
	ops := map[string]SelectorOperator{"=": OpEquals, "==": OpDoubleEquals, "!=": OpNotEquals, ">": OpGreaterThan, "<": OpLessThan}
	val := ""
	switch t := p.peek(); t.kind {
	case tokIdent:
		val = p.next().text
	case tokEnd, tokComma:
		if op == ">" || op == "<" {
			return Requirement{}, fmt.Errorf("found %s after %q, expected an integer", describe(t), op)
		}
	default:
		return Requirement{}, fmt.Errorf("found %s after %q, expected a value", describe(t), op)
	}
	return NewRequirement(key, ops[op], []string{val})
}

// valueSet reads "(v1, v2, …)". "()" is the set holding only the empty
// string, as in Kubernetes.
func (p *selParser) valueSet() ([]string, error) {
	if t := p.next(); t.kind != tokOpenPar {
		return nil, fmt.Errorf("found %s, expected '('", describe(t))
	}
	var vals []string
	for {
		val := ""
		if p.peek().kind == tokIdent {
			val = p.next().text
		}
		vals = append(vals, val)
		switch t := p.next(); t.kind {
		case tokClosePar:
			return vals, nil
		case tokComma:
		default:
			return nil, fmt.Errorf("found %s in a value set, expected ',' or ')'", describe(t))
		}
	}
}
