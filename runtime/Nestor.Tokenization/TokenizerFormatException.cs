namespace Nestor.Tokenization;

/// <summary>A tokenizer file Nestor cannot use: malformed, or a kind of tokenizer it does not support. Names the file and field.</summary>
public sealed class TokenizerFormatException(string message) : Exception(message);
