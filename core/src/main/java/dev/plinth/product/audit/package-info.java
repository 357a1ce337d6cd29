/**
 * Audits of a base and everything built on it: {@link dev.plinth.product.audit.AuditTree} (the
 * lineage tree below a product or base file, through the store), {@link dev.plinth.product.audit.Audit}
 * (the same tasks on every node, through an {@link dev.plinth.product.audit.EvalCache} keyed by model
 * and task), {@link dev.plinth.product.audit.AuditReport} (changes against each node's parent and
 * failures marked inherited, introduced or fixed; {@code audit.json} and the audit layer),
 * {@link dev.plinth.product.audit.HtmlReport} (one self-contained page with SVG plots) and
 * {@link dev.plinth.product.audit.AuditGates} (a Plinthfile's AUDIT gates for {@code plinth create}).
 * Models are opened through a {@link dev.plinth.product.audit.ModelOpener}, so that the CLI can
 * render products' profiles with their chat templates.
 */
package dev.plinth.product.audit;
