namespace Bridge.DevAgent.Filtering;

/// <summary>
/// The filter language Consul evaluates with go-bexpr v0.1.2, parsed rule for rule as its PEG grammar
/// (grammar.peg) reads, so that errors come out as the generated (pigeon) parser words them:
/// <list type="bullet">
/// <item>Precedence: <c>not</c> binds tightest, then <c>and</c>, then <c>or</c>; both associate to the right.</item>
/// <item>Matches: <c>Selector ==|!=|contains|not contains|matches|not matches Value</c>, <c>Selector is [not] empty</c>,
/// <c>Value [not] in Selector</c>. A value is a selector-like identifier (taken as its text), a number, or a
/// <c>"..."</c> / <c>`...`</c> string.</item>
/// <item>A failed parse reports the farthest position reached and every token that could have continued there
/// (<c>1:4 (3): no match found, expected: "!=", ".", "==", "[", [ \t\r\n] or [a-zA-Z0-9_]</c>); a rule that
/// recognises a mistake reports it instead (<c>1:17 (16): rule "number": Invalid number literal</c>).</item>
/// </list>
/// </summary>
internal sealed class FilterParser
{
    private const string WhitespaceClass = "[ \\t\\r\\n]";
    private const string LetterClass = "[a-zA-Z]";
    private const string IdentifierClass = "[a-zA-Z0-9_]";

    private readonly string _text;
    private readonly List<string> _expected = [];
    private readonly List<(int Position, string Rule, string Message)> _errors = [];
    private int _pos;
    private bool _invert;
    private int _farthest;

    private FilterParser(string text) => _text = text;

    /// <exception cref="FilterException">The expression is not valid; the message is go-bexpr's.</exception>
    public static FilterExpression Parse(string text)
    {
        var parser = new FilterParser(text);
        var result = parser.Input();
        if (parser._errors.Count > 0)
        {
            throw new FilterException(parser.DescribeErrors());
        }

        return result ?? throw new FilterException(parser.DescribeFarthestFailure());
    }

    // Input <- _? "(" _? OrExpression _? ")" _? EOF / _? OrExpression _? EOF
    private FilterExpression? Input()
    {
        var start = _pos;
        if (OptionalWhitespace() && Literal("(") && OptionalWhitespace() && Or(out var grouped)
            && OptionalWhitespace() && Literal(")") && OptionalWhitespace() && EndOfInput())
        {
            return grouped;
        }

        _pos = start;
        if (OptionalWhitespace() && Or(out var expression) && OptionalWhitespace() && EndOfInput())
        {
            return expression;
        }

        _pos = start;
        return null;
    }

    // OrExpression <- AndExpression _ "or" _ OrExpression / AndExpression
    private bool Or(out FilterExpression expression)
    {
        var start = _pos;
        if (And(out var left) && Whitespace() && Literal("or") && Whitespace() && Or(out var right))
        {
            expression = new BinaryExpression(left, IsAnd: false, right);
            return true;
        }

        _pos = start;
        return Restore(start, And(out expression));
    }

    // AndExpression <- NotExpression _ "and" _ AndExpression / NotExpression
    private bool And(out FilterExpression expression)
    {
        var start = _pos;
        if (Negation(out var left) && Whitespace() && Literal("and") && Whitespace() && And(out var right))
        {
            expression = new BinaryExpression(left, IsAnd: true, right);
            return true;
        }

        _pos = start;
        return Restore(start, Negation(out expression));
    }

    // NotExpression <- "not" _ NotExpression / ParenthesizedExpression; "not not x" is x.
    private bool Negation(out FilterExpression expression)
    {
        var start = _pos;
        if (Literal("not") && Whitespace() && Negation(out var operand))
        {
            expression = operand is NotExpression inner ? inner.Operand : new NotExpression(operand);
            return true;
        }

        _pos = start;
        return Restore(start, Grouping(out expression));
    }

    // ParenthesizedExpression "grouping" <- "(" _? OrExpression _? ")" / MatchExpression / "(" _? OrExpression _? !")" &{error}
    private bool Grouping(out FilterExpression expression)
    {
        var start = _pos;
        if (Literal("(") && OptionalWhitespace() && Or(out var inner) && OptionalWhitespace() && Literal(")"))
        {
            expression = inner;
            return true;
        }

        _pos = start;
        if (Match(out expression))
        {
            return true;
        }

        _pos = start;
        if (Literal("(") && OptionalWhitespace() && Or(out _) && OptionalWhitespace() && Not(() => Literal(")")))
        {
            RaiseError("grouping", "Unmatched parentheses");
        }

        _pos = start;
        return false;
    }

    // MatchExpression "match" <- MatchSelectorOpValue / MatchSelectorOp / MatchValueOpSelector
    private bool Match(out FilterExpression expression)
    {
        var start = _pos;
        if (Selector(out var selector) && SelectorValueOperator(out var op) && Value(out var value))
        {
            expression = new MatchExpression(selector, op, value);
            return true;
        }

        _pos = start;
        if (Selector(out selector) && EmptinessOperator(out op))
        {
            expression = new MatchExpression(selector, op, null);
            return true;
        }

        _pos = start;
        if (Value(out value) && MembershipOperator(out op) && Selector(out selector))
        {
            expression = new MatchExpression(selector, op, value);
            return true;
        }

        // MatchValueOpSelector's second alternative: a value and "in" with no selector after them.
        _pos = start;
        if (Value(out _) && MembershipOperator(out _) && Not(() => Selector(out _)))
        {
            RaiseError("match", "Invalid selector");
        }

        _pos = start;
        expression = null!;
        return false;
    }

    private bool SelectorValueOperator(out MatchOperator op)
    {
        (op, var found) =
            Sequence(() => OptionalWhitespace() && Literal("==") && OptionalWhitespace()) ? (MatchOperator.Equal, true)
            : Sequence(() => OptionalWhitespace() && Literal("!=") && OptionalWhitespace()) ? (MatchOperator.NotEqual, true)
            : Sequence(() => Whitespace() && Literal("contains") && Whitespace()) ? (MatchOperator.In, true)
            : Sequence(() => Whitespace() && Literal("not") && Whitespace() && Literal("contains") && Whitespace()) ? (MatchOperator.NotIn, true)
            : Sequence(() => Whitespace() && Literal("matches") && Whitespace()) ? (MatchOperator.Matches, true)
            : Sequence(() => Whitespace() && Literal("not") && Whitespace() && Literal("matches") && Whitespace()) ? (MatchOperator.NotMatches, true)
            : (MatchOperator.Equal, false);
        return found;
    }

    private bool EmptinessOperator(out MatchOperator op)
    {
        (op, var found) =
            Sequence(() => Whitespace() && Literal("is") && Whitespace() && Literal("empty")) ? (MatchOperator.IsEmpty, true)
            : Sequence(() => Whitespace() && Literal("is") && Whitespace() && Literal("not") && Whitespace() && Literal("empty")) ? (MatchOperator.IsNotEmpty, true)
            : (MatchOperator.IsEmpty, false);
        return found;
    }

    private bool MembershipOperator(out MatchOperator op)
    {
        (op, var found) =
            Sequence(() => Whitespace() && Literal("in") && Whitespace()) ? (MatchOperator.In, true)
            : Sequence(() => Whitespace() && Literal("not") && Whitespace() && Literal("in") && Whitespace()) ? (MatchOperator.NotIn, true)
            : (MatchOperator.In, false);
        return found;
    }

    // Selector "selector" <- Identifier SelectorOrIndex*
    private bool Selector(out List<string> parts)
    {
        parts = [];
        if (!Identifier(out var first))
        {
            return false;
        }

        parts.Add(first);
        while (SelectorOrIndex(out var next))
        {
            parts.Add(next);
        }

        return true;
    }

    // Identifier <- [a-zA-Z] [a-zA-Z0-9_]*
    private bool Identifier(out string identifier)
    {
        var start = _pos;
        if (!Class(LetterClass, char.IsAsciiLetter))
        {
            identifier = string.Empty;
            return false;
        }

        while (Class(IdentifierClass, c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
        }

        identifier = _text[start.._pos];
        return true;
    }

    // SelectorOrIndex <- "." Identifier / IndexExpression
    private bool SelectorOrIndex(out string part)
    {
        var start = _pos;
        if (Literal(".") && Identifier(out part))
        {
            return true;
        }

        _pos = start;
        return Restore(start, Index(out part));
    }

    // IndexExpression "index" <- "[" _? StringLiteral _? "]" / "[" _? !StringLiteral &{error} / "[" _? StringLiteral _? !"]" &{error}
    private bool Index(out string part)
    {
        var start = _pos;
        if (Literal("[") && OptionalWhitespace() && StringLiteral(out part) && OptionalWhitespace() && Literal("]"))
        {
            return true;
        }

        _pos = start;
        if (Literal("[") && OptionalWhitespace() && Not(() => StringLiteral(out _)))
        {
            RaiseError("index", "Invalid index");
        }

        _pos = start;
        if (Literal("[") && OptionalWhitespace() && StringLiteral(out _) && OptionalWhitespace() && Not(() => Literal("]")))
        {
            RaiseError("index", "Unclosed index expression");
        }

        _pos = start;
        part = string.Empty;
        return false;
    }

    // Value "value" <- Selector / NumberLiteral / StringLiteral; a selector value is its parts joined with dots.
    private bool Value(out string value)
    {
        var start = _pos;
        if (Selector(out var selector))
        {
            value = string.Join('.', selector);
            return true;
        }

        _pos = start;
        if (Number(out value))
        {
            return true;
        }

        _pos = start;
        return Restore(start, StringLiteral(out value));
    }

    // NumberLiteral "number" <- "-"? IntegerOrFloat &AfterNumbers / "-"? IntegerOrFloat !AfterNumbers &{error}
    private bool Number(out string number)
    {
        var start = _pos;
        if (OptionalLiteral("-") && IntegerOrFloat() && Ahead(AfterNumber))
        {
            number = _text[start.._pos];
            return true;
        }

        _pos = start;
        if (OptionalLiteral("-") && IntegerOrFloat() && Not(AfterNumber))
        {
            RaiseError("number", "Invalid number literal");
        }

        _pos = start;
        number = string.Empty;
        return false;
    }

    // AfterNumbers <- &(_ / EOF / ")")
    private bool AfterNumber() => Ahead(() => Sequence(Whitespace) || EndOfInput() || Literal(")"));

    // IntegerOrFloat <- ("0" / [1-9][0-9]*) ("." [0-9]+)?
    private bool IntegerOrFloat()
    {
        var start = _pos;
        if (!Literal("0"))
        {
            if (!Class("[1-9]", c => c is >= '1' and <= '9'))
            {
                _pos = start;
                return false;
            }

            while (Class("[0-9]", char.IsAsciiDigit))
            {
            }
        }

        var fraction = _pos;
        if (Literal(".") && Class("[0-9]", char.IsAsciiDigit))
        {
            while (Class("[0-9]", char.IsAsciiDigit))
            {
            }
        }
        else
        {
            _pos = fraction;
        }

        return true;
    }

    // StringLiteral "string" <- ('`' RawStringChar* '`' / '"' DoubleStringChar* '"') {unquote} / ('`' RawStringChar* / '"' DoubleStringChar*) EOF &{error}
    private bool StringLiteral(out string value)
    {
        var start = _pos;
        if (Sequence(() => Quoted('`', closed: true)) || Sequence(() => Quoted('"', closed: true)))
        {
            if (GoStrconv.TryUnquote(_text[start.._pos], out value))
            {
                return true;
            }

            // The grammar's action fails on an escape Go does not know; pigeon reports it where the literal starts.
            _errors.Add((start, "string", "invalid syntax"));
            _pos = start;
            return false;
        }

        _pos = start;
        if ((Sequence(() => Quoted('`', closed: false)) || Sequence(() => Quoted('"', closed: false))) && EndOfInput())
        {
            RaiseError("string", "Unterminated string literal");
        }

        _pos = start;
        value = string.Empty;
        return false;
    }

    // '`' RawStringChar* '`' (or the same with '"'), where RawStringChar <- !'`' .
    private bool Quoted(char quote, bool closed)
    {
        var mark = quote.ToString();
        if (!Literal(mark))
        {
            return false;
        }

        while (Sequence(() => Not(() => Literal(mark)) && AnyCharacter()))
        {
        }

        return !closed || Literal(mark);
    }

    // _ "whitespace" <- [ \t\r\n]+
    private bool Whitespace()
    {
        if (!Class(WhitespaceClass, IsWhitespace))
        {
            return false;
        }

        while (Class(WhitespaceClass, IsWhitespace))
        {
        }

        return true;
    }

    private bool OptionalWhitespace()
    {
        Whitespace();
        return true;
    }

    // EOF <- !.
    private bool EndOfInput() => Not(AnyCharacter);

    private bool OptionalLiteral(string literal)
    {
        Literal(literal);
        return true;
    }

    private bool Literal(string literal)
    {
        var start = _pos;
        var want = GoStrconv.Quote(literal);
        if (_text.AsSpan(_pos).StartsWith(literal, StringComparison.Ordinal))
        {
            Matched(start, want);
            _pos += literal.Length;
            return true;
        }

        Failed(start, want);
        return false;
    }

    private bool Class(string display, Func<char, bool> accepts)
    {
        if (_pos < _text.Length && accepts(_text[_pos]))
        {
            Matched(_pos, display);
            _pos++;
            return true;
        }

        Failed(_pos, display);
        return false;
    }

    private bool AnyCharacter()
    {
        if (_pos >= _text.Length)
        {
            Failed(_pos, ".");
            return false;
        }

        Matched(_pos, ".");
        _pos += char.IsHighSurrogate(_text[_pos]) && _pos + 1 < _text.Length ? 2 : 1;
        return true;
    }

    // !e: what e matches is recorded, inverted, as what could not follow.
    private bool Not(Func<bool> expression)
    {
        var start = _pos;
        _invert = !_invert;
        var matched = expression();
        _invert = !_invert;
        _pos = start;
        return !matched;
    }

    // &e
    private bool Ahead(Func<bool> expression)
    {
        var start = _pos;
        var matched = expression();
        _pos = start;
        return matched;
    }

    private bool Sequence(Func<bool> expression)
    {
        var start = _pos;
        return Restore(start, expression());
    }

    private bool Restore(int start, bool matched)
    {
        if (!matched)
        {
            _pos = start;
        }

        return matched;
    }

    private void RaiseError(string rule, string message) => _errors.Add((_pos, rule, message));

    // pigeon's failAt: the farthest failure wins; inside a !predicate, successes count, marked with '!'.
    private void Failed(int position, string want)
    {
        if (!_invert)
        {
            Record(position, want);
        }
    }

    private void Matched(int position, string want)
    {
        if (_invert)
        {
            Record(position, "!" + want);
        }
    }

    private void Record(int position, string want)
    {
        if (position < _farthest)
        {
            return;
        }

        if (position > _farthest)
        {
            _farthest = position;
            _expected.Clear();
        }

        _expected.Add(want);
    }

    private string DescribeFarthestFailure()
    {
        var expected = _expected.Distinct(StringComparer.Ordinal).ToList();
        var eof = expected.Remove("!.");
        expected.Sort(StringComparer.Ordinal);
        if (eof)
        {
            expected.Add("EOF");
        }

        var list = expected.Count <= 1
            ? string.Concat(expected)
            : string.Join(", ", expected.Take(expected.Count - 1)) + " or " + expected[^1];
        return $"{Where(_farthest)}: no match found, expected: {list}";
    }

    private string DescribeErrors() => string.Join(
        '\n',
        _errors.Select(e => $"{Where(e.Position)}: rule \"{e.Rule}\": {e.Message}").Distinct(StringComparer.Ordinal));

    // pigeon positions: line, column in characters (1-based), byte offset in the UTF-8 input.
    private string Where(int position)
    {
        var line = 1;
        var column = 0;
        for (var i = 0; i <= position; i++)
        {
            if (i < _text.Length && char.IsLowSurrogate(_text[i]))
            {
                continue;
            }

            column++;
            if (i < _text.Length && _text[i] == '\n')
            {
                line++;
                column = 0;
            }
        }

        var offset = Encoding.UTF8.GetByteCount(_text.AsSpan(0, Math.Min(position, _text.Length)));
        return string.Create(CultureInfo.InvariantCulture, $"{line}:{column} ({offset})");
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';
}
