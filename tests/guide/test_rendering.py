from html.parser import HTMLParser

from app.core.text import slugify
from app.guide.rendering import plain_text, render_markdown


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html):
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_script_injection_is_neutralised():
    html = str(render_markdown(
        "Hallo <script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[klick](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
        "<a href=\"https://a.example\" onclick=\"alert(1)\">a</a>\n\n"
        "[ok](https://ok.example \"Titel\")"
    ).html)
    tags = _tags(html)
    assert {tag for tag, _ in tags} <= {"p", "a"}
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    hrefs = [attrs.get("href", "") for tag, attrs in tags if tag == "a"]
    assert hrefs == ["https://ok.example"]
    assert "&lt;script&gt;" in html  # shown as text, never executed


def test_sanitiser_removes_what_markdown_would_let_through():
    # Even if the renderer produced raw HTML, nh3 strips unknown tags and attributes.
    from app.guide.rendering import ALLOWED_TAGS

    assert "script" not in ALLOWED_TAGS and "iframe" not in ALLOWED_TAGS and "style" not in ALLOWED_TAGS


def test_headings_get_anchors_and_a_table_of_contents():
    rendered = render_markdown("# Oben\n\n## Über die Größe\n\ntext\n\n### Fristen & Löschen\n\n## Über die Größe\n")
    html = str(rendered.html)
    assert '<h2 id="ueber-die-groesse">Über die Größe</h2>' in html
    assert '<h3 id="fristen-loeschen">' in html
    assert "<h1" not in html  # the page title is the only h1
    anchors = [anchor for _, anchor, _ in rendered.toc]
    assert "ueber-die-groesse" in anchors and "fristen-loeschen" in anchors
    assert len(set(anchors)) == len(anchors)  # duplicate headings get distinct anchors
    assert (3, "fristen-loeschen", "Fristen & Löschen") in rendered.toc


def test_links_tables_and_autolinks():
    html = str(render_markdown("<https://www.datenschutz-berlin.de>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n").html)
    assert '<a href="https://www.datenschutz-berlin.de" rel="noopener noreferrer">' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_plain_text_and_slugify():
    assert plain_text("## Titel\n\n*fett* & <b>") == "Titel fett & <b>"
    assert slugify("Aufnahme & Austritt – 2024!") == "aufnahme-austritt-2024"
