"""The API's JSON parser: DRF's, with nesting too deep for Python's parser answered as a parse error."""
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # '[' * 2000 + ']' * 2000 is 4 KB: the C parser gives up past the recursion limit.
            raise ParseError('JSON parse error - the document is nested too deeply.') from None
