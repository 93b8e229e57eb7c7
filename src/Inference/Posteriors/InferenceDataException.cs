namespace Tangent.Inference.Posteriors;

/// <summary>
/// Bad input to the inference library — a posterior file, a matrix, logits — with a one-line message that names the
/// file, tensor or value. Programs report the message (the CLI exits with code 2), not a stack trace.
/// </summary>
public class InferenceDataException(string message) : Exception(message);
