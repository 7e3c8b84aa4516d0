"""If-None-Match evaluation as RFC 9110 describes it."""

import pytest

from backend.http_cache import entity_tag, is_not_modified

ETAG = '"abc123"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"abc123"', True),
        ('W/"abc123"', True),  # If-None-Match uses the weak comparison
        ('"other", "abc123"', True),
        ('"other" ,W/"abc123" , "more"', True),
        ("*", True),
        (" * ", True),
        ('"other"', False),
        ('"abc1234"', False),
        ("abc123", False),  # not quoted: invalid, so ignored
        ('"abc123', False),
        ('"a,b", "abc123"', True),  # a comma may sit inside a tag
        ('"abc123" junk', False),
    ],
)
def test_if_none_match(header, expected):
    assert is_not_modified(header, ETAG) is expected


def test_entity_tag_is_a_quoted_hash_of_the_body():
    assert entity_tag(b"{}") == entity_tag(b"{}")
    assert entity_tag(b"{}") != entity_tag(b"[]")
    assert entity_tag(b"{}").startswith('"') and entity_tag(b"{}").endswith('"')
