/* domxml_int.h: private to the domain XML canonicaliser (domxml.c and
 * domxml_runtime.c): node helpers, and the rules that say what libvirt
 * writes at run time (dropped from the canonical form; the reasons are
 * in docs/domain-canonical.md). */
#ifndef HG_DOMXML_INT_H
#define HG_DOMXML_INT_H

#include <string.h>
#include <libxml/tree.h>

/* Element or attribute in no namespace with this local name. */
static inline int named(const xmlNode *n, const char *name)
{
	return n && n->ns == NULL && n->name &&
	       strcmp((const char *)n->name, name) == 0;
}

static inline int attr_is(const xmlNode *e, const char *attr, const char *value)
{
	xmlChar *v = xmlGetNoNsProp(e, (const xmlChar *)attr);
	int r = v && strcmp((const char *)v, value) == 0;

	xmlFree(v);
	return r;
}

static inline int has_elem_child(const xmlNode *e, const char *name)
{
	for (const xmlNode *c = e->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (!name || named(c, name)))
			return 1;
	return 0;
}

static inline const xmlNode *parent_elem(const xmlNode *n)
{
	const xmlNode *p = n ? n->parent : NULL;

	return p && p->type == XML_ELEMENT_NODE ? p : NULL;
}

/* 1 if attribute A of element E is libvirt's run-time output. */
int hg_dx_attr_dropped(const xmlNode *e, const xmlAttr *a);
/* 1 if element E (with its subtree) is libvirt's run-time output. */
int hg_dx_elem_dropped(const xmlNode *e);

#endif
