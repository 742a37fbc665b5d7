"""Render: what every writer for people shares, once each (CSV cells, terminal text, Markdown,
HTML, SVG bars, numbers). Data from partner records and policies is never trusted here: each
function makes it inert for its medium (docs/bad-input.md, "Outputs")."""
