namespace Nestor.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet: each of the 256 byte values as one printable character (printable Latin-1 bytes stand
/// for themselves; the others take the characters from U+0100 up, in byte order), so that BPE vocabularies are text.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(p => p.c, p => (byte)p.b);

    public static char Of(byte b) => ByteToChar[b];

    /// <summary>The bytes a vocabulary entry stands for, or null when it holds a character outside the alphabet.</summary>
    public static byte[]? BytesOf(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out bytes[i]))
            {
                return null;
            }
        }

        return bytes;
    }

    private static char[] Build()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            map[b] = Printable(b) ? (char)b : (char)next++;
        }

        return map;
    }
}
