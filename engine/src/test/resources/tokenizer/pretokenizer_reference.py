#!/usr/bin/env python3
"""Reference word splits for vera4j's hand-written BPE pre-tokenizers (PreTokenizerReferenceTest).

Re-implements llama.cpp's unicode_regex_split (src/unicode.cpp) with Python's backtracking `re` engine instead of
hand-written scanners: every code point is collapsed to one character by Unicode category exactly as llama.cpp does
(ASCII kept, whitespace -> \\x0b, \\p{N} -> \\xd1, \\p{L} -> \\xd2, \\p{P} -> \\xd3, \\p{M} -> \\xd4, \\p{S} -> \\xd5,
else \\xd0), \\p{..} in the regex is collapsed the same way, and each regex of the pre-tokenizer's list cuts the pieces
of the one before (matches and the gaps between them are both pieces). The regex lists are llama.cpp's
(llm_tokenizer_bpe in src/llama-vocab.cpp). re.ASCII makes \\s mean [ \\t\\n\\r\\f\\v] like C++ std::regex.

Output: one line per case, "PRE<TAB>hex(utf8 text)<TAB>word lengths in code points, comma separated".
Run: python3 pretokenizer_reference.py > pretokenizer_reference.txt
"""
import random
import re
import unicodedata

WHITESPACE = set(range(0x09, 0x0E)) | set(range(0x2000, 0x200B)) | {
    0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
CAT_CHAR = {'N': '\xd1', 'L': '\xd2', 'P': '\xd3', 'M': '\xd4', 'S': '\xd5'}
UCAT = {'N': '\xd1', 'L': '\xd2', 'P': '\xd3', 'M': '\xd4', 'S': '\xd5'}
UCAT_ASCII = {
    'N': '0-9',
    'L': 'A-Za-z',
    'P': '!-#%-*,-/:-;?-@\\[-\\]_\\{\\}',
    'M': '',
    'S': '\\$\\+<-\\>\\^`\\|',
}

GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
LLAMA3 = ("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
          "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
QWEN2 = ("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
         "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
TEKKEN = ("[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
          "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
          "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
PRE = {
    'default': ["[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"],
    'falcon': ["[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]"],
    'gpt-2': [GPT2],
    'llama-bpe': [LLAMA3],
    'qwen2': [QWEN2],
    'smollm': ["\\p{N}", GPT2],
    'tekken': [TEKKEN],
    # ECMAScript's $ is Python's \\Z (Python's $ also matches before a final newline)
    'deepseek-llm': ["[\r\n]", "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+", "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+\\Z",
                     "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+", "\\p{N}+"],
    'deepseek-coder': ["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+", "\\p{N}"],
}


def collapse_char(c):
    cp = ord(c)
    if cp < 128:
        return c
    if cp in WHITESPACE:
        return '\x0b'
    return CAT_CHAR.get(unicodedata.category(c)[0], '\xd0')


def collapse_regex(expr):
    out, inside, i = [], False, 0
    while i < len(expr):
        ch = expr[i]
        if ch == '[' and (i == 0 or expr[i - 1] != '\\'):
            out.append('['); inside = True; i += 1; continue
        if inside and ch == ']' and expr[i - 1] != '\\':
            out.append(']'); inside = False; i += 1; continue
        m = re.match(r'\\p\{(.)\}', expr[i:])
        if m and m.group(1) in UCAT:
            k = m.group(1)
            body = UCAT[k] + UCAT_ASCII[k]
            out.append(body if inside else '[' + body + ']')
            i += 5; continue
        out.append(ch); i += 1
    return ''.join(out)


def split(text, exprs):
    collapsed = ''.join(collapse_char(c) for c in text)
    wide = ''.join('\x0b' if ord(c) > 0x7f and ord(c) in WHITESPACE else c for c in text)
    offsets = [len(text)]
    for expr in exprs:
        uses_cat = '\\p{' in expr
        pattern = re.compile(collapse_regex(expr) if uses_cat else expr, re.ASCII)
        subject = collapsed if uses_cat else wide
        new, start = [], 0
        for length in offsets:
            chunk = subject[start:start + length]
            last = 0
            for m in pattern.finditer(chunk):
                if m.start() > last:
                    new.append(m.start() - last)
                new.append(m.end() - m.start())
                last = m.end()
            if last < length:
                new.append(length - last)
            start += length
        offsets = new
    return offsets


POOL = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list("      \t\n\n\r\x0b\x0c\x01\x1c'''''`!?.,;:-_/\\\"#$%&()*+<=>@[]^{|}~")
    + list("éèßÀÉüñçøåÆŒİǅʰµª") + list("²¼٣३Ⅻ") + list("\u0301\u0308") + list("αβΓΔжЯ")
    + list("中文字日本語한국") + list("ひらがなカタ") + list("€©∑√°") + list("“”—…「」¡¿«»")
    + list("\xa0\x85\u3000\u2009\u200b\u2028") + ["😀", "👍", "🏽", "\U0001F680"]
    + list("！Ａｚ‘。、ǅΩK\u1e00\u2c00")
)
FIXED = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", " \n", "\n \n x", "Hello world", " Hello World",
    "I'm ok, you're fine; they'll see. He'd've", "IT'S A 'TEST' 'Re 'LL", "x 's 'T", "1234567 89 0",
    "a1b22c333d4444", "HelloWORLD fooBar ÉtéÉTÉ ÀbcDÉf", "CamelCaseWord URLParser iPhone", "Jamés ÆsirBC",
    "   leading and trailing   ", "tab\tsep\t\tend\t", "line1\r\nline2\n\n\nline3", "!!!???...,,,", "a/b//c\n/",
    " ?!x", "$100 + <tag> = ^~|`", "中文 日本語 한국어", "😀😀 👍🏽 🚀", "Ⅻ²¼ ٣३", "\u00a0\u3000x\u2009y",
    "e\u0301 cafe\u0301", "   \n\t  x", "'", "''", "' '", "x'", "'x", "\u200b\u200bzero",
]


def main():
    rnd = random.Random(20241128)
    for pre, exprs in PRE.items():
        texts = list(FIXED)
        for _ in range(150):
            texts.append(''.join(rnd.choice(POOL) for _ in range(rnd.randint(1, 30))))
        for t in texts:
            lengths = split(t, exprs)
            assert sum(lengths) == len(t)
            print(pre + '\t' + t.encode('utf-8').hex() + '\t' + ','.join(map(str, lengths)))


if __name__ == '__main__':
    main()
