/* domxml.c: see domxml.h; the rules are in docs/domain-canonical.md.
 *
 * The guiding principle: the canonical form is a function of the tree
 * libvirt's own libxml2 parse sees, minus what libvirt itself writes at
 * start. Anything we cannot be sure is runtime-only is kept: a cosmetic
 * difference we keep costs a re-learned policy, a semantic one we drop
 * would let a changed VM pass.
 */
#define _GNU_SOURCE /* asprintf */
#include "domxml.h"

#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domxml_int.h"

struct buf {
	char *p;
	size_t len, cap, max;
};

struct canon {
	struct buf out;
	struct buf path;
	const char *why;
};

struct kattr {
	char *name;     /* canonical name, malloc'd */
	xmlChar *value; /* xmlFree */
};

/* Append N bytes; refuses to grow past b->max so that a hostile input
 * cannot make the output explode (paths repeat on every line). */
static int buf_add(struct buf *b, const char *s, size_t n)
{
	size_t need;

	if (__builtin_add_overflow(b->len, n + 1, &need) || need > b->max)
		return -1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (!is_ws((unsigned char)*s))
			return 0;
	return 1;
}

/* C0 controls other than tab, DEL, and the C1 controls (UTF-8 C2 80..9F).
 * XML only lets \n and \r through as &#10; / &#13;, but one newline in a
 * value would let it forge a line of the form. */
static int has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 1;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 1;
	}
	return 0;
}

/* Clark notation for namespaced names: the prefix is cosmetic, the URI is
 * not, and the xmlns declarations themselves are not in the form. */
static char *canon_name(const xmlChar *name, const xmlNs *ns, const char **why)
{
	const char *uri = ns && ns->href ? (const char *)ns->href : NULL;
	char *s = NULL;

	if (!uri)
		s = strdup((const char *)name);
	else if (strpbrk(uri, "={}") || has_control(uri))
		*why = "namespace URI with '=', '{', '}' or a control character";
	else if (asprintf(&s, "{%s}%s", uri, (const char *)name) < 0)
		s = NULL;
	if (!s && !*why)
		*why = "out of memory";
	return s;
}

/* libvirt's virScaleInteger, as virDomainParseMemory uses it: default
 * KiB; b/byte/bytes; k,m,g,t,p,e alone or with "iB" are powers of 1024,
 * with "B" powers of 1000; case-insensitive. Then rounded up to KiB. */
static int memory_kib(const char *num, const char *unit, unsigned long long *kib)
{
	unsigned long long v = 0, scale = 1, base;
	const char *p = num;
	int c;

	if (!*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' ||
		    __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (unsigned)(*p - '0'), &v))
			return -1;
	}
	if (!unit || !*unit) {
		scale = 1024;
	} else if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") ||
		   !strcasecmp(unit, "bytes")) {
		scale = 1;
	} else {
		if (!unit[1] || !strcasecmp(unit + 1, "iB"))
			base = 1024;
		else if ((unit[1] == 'b' || unit[1] == 'B') && !unit[2])
			base = 1000;
		else
			return -1;
		c = unit[0] | 0x20;
		switch (c) {
		case 'e': scale *= base; /* fall through */
		case 'p': scale *= base; /* fall through */
		case 't': scale *= base; /* fall through */
		case 'g': scale *= base; /* fall through */
		case 'm': scale *= base; /* fall through */
		case 'k': scale *= base; break;
		default: return -1;
		}
	}
	if (__builtin_mul_overflow(v, scale, &v))
		return -1;
	*kib = v / 1024 + (v % 1024 != 0);
	return 0;
}

static int emit(struct canon *c, const char *value)
{
	if (has_control(value)) {
		c->why = "a value contains a control character (newline?)";
		return -1;
	}
	if (buf_add(&c->out, c->path.p, c->path.len) < 0 ||
	    buf_str(&c->out, "=") < 0 ||
	    buf_str(&c->out, value) < 0 || buf_str(&c->out, "\n") < 0) {
		c->why = "canonical form too large";
		return -1;
	}
	return 0;
}

static int kattr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kattr *)a)->name,
		      ((const struct kattr *)b)->name);
}

static int is_memory(const xmlNode *e)
{
	const xmlNode *p = parent_elem(e);

	return p && !parent_elem(p) && (named(e, "memory") ||
	       named(e, "currentMemory") || named(e, "maxMemory"));
}

struct kchild {
	const xmlNode *e;
	size_t pos, idx, count;
};

/* Same name (and namespace) first, then document order: groups the
 * same-named siblings so that indexes cost n log n, not n^2. */
static const char *ns_uri(const xmlNode *e)
{
	return e->ns && e->ns->href ? (const char *)e->ns->href : "";
}

static int qname_cmp(const xmlNode *a, const xmlNode *b)
{
	int r = strcmp((const char *)a->name, (const char *)b->name);

	return r ? r : strcmp(ns_uri(a), ns_uri(b));
}

static int same_qname(const xmlNode *a, const xmlNode *b)
{
	return qname_cmp(a, b) == 0;
}

static int kchild_cmp(const void *a, const void *b)
{
	const struct kchild *x = a, *y = b;
	int r = qname_cmp(x->e, y->e);

	if (!r)
		r = x->pos < y->pos ? -1 : x->pos > y->pos;
	return r;
}

static int pos_cmp(const void *a, const void *b)
{
	const struct kchild *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int walk(struct canon *c, const xmlNode *e, int depth, size_t idx,
		size_t count, size_t *lines);

/* Kept element children in document order, each with its 1-based index
 * among kept same-named siblings and their count. */
static int walk_children(struct canon *c, const xmlNode *e, int depth,
			 size_t *lines)
{
	struct kchild *k = NULL;
	size_t n = 0, i, j;
	int ret = -1;

	for (const xmlNode *x = e->children; x; x = x->next)
		if (x->type == XML_ELEMENT_NODE)
			n++;
	k = calloc(n ? n : 1, sizeof(*k));
	if (!k) {
		c->why = "out of memory";
		goto out;
	}
	n = 0;
	for (const xmlNode *x = e->children; x; x = x->next)
		if (x->type == XML_ELEMENT_NODE && !hg_dx_elem_dropped(x)) {
			k[n].e = x;
			k[n].pos = n;
			n++;
		}
	qsort(k, n, sizeof(*k), kchild_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && same_qname(k[i].e, k[j].e); j++)
			;
		for (size_t m = i; m < j; m++) {
			k[m].idx = m - i + 1;
			k[m].count = j - i;
		}
	}
	qsort(k, n, sizeof(*k), pos_cmp);
	for (i = 0; i < n; i++)
		if (walk(c, k[i].e, depth + 1, k[i].idx, k[i].count, lines) < 0)
			goto out;
	ret = 0;
out:
	free(k);
	return ret;
}

static int walk(struct canon *c, const xmlNode *e, int depth, size_t idx,
		size_t count, size_t *lines)
{
	size_t plen = c->path.len, before = *lines, nattr = 0, elen;
	struct kattr *attrs = NULL;
	struct buf text = { .max = HG_DOMXML_MAX };
	xmlChar *unit = NULL;
	char *name = NULL;
	int ret = -1;

	if (depth > HG_DOMXML_MAX_DEPTH) {
		c->why = "elements nested too deep";
		goto out;
	}
	name = canon_name(e->name, e->ns, &c->why);
	if (!name)
		goto out;
	if (depth > 0 && buf_str(&c->path, "/") < 0)
		goto too_large;
	if (buf_str(&c->path, name) < 0)
		goto too_large;
	if (depth > 0) {
		if (count > 1) {
			char ix[32];

			snprintf(ix, sizeof(ix), "[%zu]", idx);
			if (buf_str(&c->path, ix) < 0)
				goto too_large;
		}
	}

	/* Text: the element's own text and CDATA, concatenated (comments
	 * and PIs between them are not content). Whitespace-only text is
	 * layout. Text beside child elements is mixed content, which no
	 * libvirt element has: refused rather than guessed at. */
	for (const xmlNode *k = e->children; k; k = k->next) {
		if (k->type == XML_ENTITY_REF_NODE || k->type == XML_ENTITY_NODE) {
			c->why = "entity reference";
			goto out;
		}
		if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) &&
		    k->content && buf_str(&text, (const char *)k->content) < 0)
			goto too_large;
	}
	if (text.p && blank(text.p)) {
		text.len = 0;
		text.p[0] = '\0';
	}
	if (text.len && has_elem_child(e, NULL)) {
		c->why = "mixed content (text beside child elements)";
		goto out;
	}

	for (const xmlAttr *a = e->properties; a; a = a->next)
		nattr++;
	attrs = calloc(nattr ? nattr : 1, sizeof(*attrs));
	if (!attrs) {
		c->why = "out of memory";
		goto out;
	}
	nattr = 0;
	for (const xmlAttr *a = e->properties; a; a = a->next) {
		/* libvirt reads attributes by local name, namespace ignored
		 * (virXMLPropString is xmlGetProp), and takes the first: in
		 * <source x:file='A' file='B'/> it opens A where a
		 * namespace-aware reader sees B. No libvirt attribute is
		 * namespaced, so one that is cannot be read the same way. */
		if (a->ns) {
			c->why = "namespaced attribute (libvirt reads attributes by local name, ignoring the namespace)";
			goto out;
		}
		if (hg_dx_attr_dropped(e, a))
			continue;
		if (is_memory(e) && !a->ns && !strcmp((const char *)a->name, "unit"))
			continue;
		attrs[nattr].name = canon_name(a->name, a->ns, &c->why);
		if (!attrs[nattr].name)
			goto out;
		attrs[nattr].value = xmlNodeGetContent((const xmlNode *)a);
		nattr++;
		if (!attrs[nattr - 1].value) {
			c->why = "out of memory";
			goto out;
		}
	}
	qsort(attrs, nattr, sizeof(*attrs), kattr_cmp);
	elen = c->path.len;
	for (size_t i = 0; i < nattr; i++) {
		if (buf_str(&c->path, "@") < 0 ||
		    buf_str(&c->path, attrs[i].name) < 0)
			goto too_large;
		if (emit(c, (const char *)attrs[i].value) < 0)
			goto out;
		c->path.len = elen;
		c->path.p[elen] = '\0';
		(*lines)++;
	}

	if (is_memory(e)) {
		unsigned long long kib;
		char num[32];

		unit = xmlGetNoNsProp(e, (const xmlChar *)"unit");
		if (memory_kib(text.p ? text.p : "", (const char *)unit, &kib) < 0) {
			c->why = "memory size or unit not understood";
			goto out;
		}
		snprintf(num, sizeof(num), "%llu", kib);
		if (emit(c, num) < 0)
			goto out;
		(*lines)++;
	} else if (text.len) {
		if (emit(c, text.p) < 0)
			goto out;
		(*lines)++;
	}

	if (walk_children(c, e, depth, lines) < 0)
		goto out;
	/* Nothing said about this element or below it: say that it is
	 * there, so that <readonly/> or <features><acpi/></features> count. */
	if (*lines == before) {
		if (emit(c, "") < 0)
			goto out;
		(*lines)++;
	}
	ret = 0;
	goto out;
too_large:
	c->why = "canonical form too large";
out:
	c->path.len = plen;
	if (c->path.p)
		c->path.p[plen] = '\0';
	for (size_t i = 0; attrs && i < nattr; i++) {
		free(attrs[i].name);
		xmlFree(attrs[i].value);
	}
	free(attrs);
	free(text.p);
	xmlFree(unit);
	free(name);
	return ret;
}

/* SAX internalSubset fires as soon as "<!DOCTYPE name" is read, before
 * any declaration in it: stop there, so no entity is ever declared, let
 * alone expanded (billion laughs, external entities). */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
		       const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name;
	(void)eid;
	(void)sid;
	*(int *)ctxt->_private = 1;
	xmlStopParser(ctxt);
}

/* libxml2 reports some errors with no parser context (an input that its
 * declared encoding cannot convert: "encoding error : input conversion
 * failed ..."), which XML_PARSE_NOERROR does not silence: they go to the
 * generic handler, stderr by default, and so into the hook's output. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int hg_domxml_canonical(const char *xml, size_t len, char **out,
			size_t *outlen, char **name, const char **why)
{
	struct canon c = {
		.out = { .max = HG_DOMXML_MAX_OUT },
		.path = { .max = HG_DOMXML_MAX_OUT },
	};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	xmlChar *dname = NULL;
	char *dname_copy = NULL;
	xmlGenericErrorFunc saved_err = xmlGenericError;
	void *saved_err_ctx = xmlGenericErrorContext;
	size_t lines = 0;
	int doctype = 0, ret = -1;

	if (!xml || len > HG_DOMXML_MAX) {
		c.why = "domain XML larger than 1 MiB";
		goto out;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		c.why = "out of memory";
		goto out;
	}
	ctxt->_private = &doctype;
	ctxt->sax->internalSubset = on_doctype;
	/* No XML_PARSE_NOENT (no substitution), no DTD loading, no network;
	 * errors are reported through *why, never printed by libxml2. */
	xmlSetGenericErrorFunc(NULL, quiet);
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOBLANKS |
				XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlSetGenericErrorFunc(saved_err_ctx, saved_err);
	if (doctype || (doc && (doc->intSubset || doc->extSubset))) {
		c.why = "DOCTYPE not allowed in domain XML";
		goto out;
	}
	if (!doc || !ctxt->wellFormed) {
		c.why = "not well-formed XML";
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !named(root, "domain")) {
		c.why = "root element is not <domain>";
		goto out;
	}
	for (xmlNodePtr k = root->children; k; k = k->next) {
		if (named(k, "name")) {
			dname = xmlNodeGetContent(k);
			break;
		}
	}
	if (!dname || !*dname || has_control((const char *)dname)) {
		c.why = "domain has no usable <name>";
		goto out;
	}
	if (walk(&c, root, 0, 1, 1, &lines) < 0)
		goto out;
	dname_copy = strdup((const char *)dname);
	if (!dname_copy) {
		c.why = "out of memory";
		goto out;
	}
	*out = c.out.p;
	*outlen = c.out.len;
	*name = dname_copy;
	c.out.p = NULL;
	ret = 0;
out:
	if (ret < 0)
		*why = c.why ? c.why : "out of memory";
	free(c.out.p);
	free(c.path.p);
	xmlFree(dname);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return ret;
}
