// Tangent from a .NET program, without the CLI: load a MAP checkpoint, fit last-layer Laplace around it through the
// library, and print predictions with their uncertainty.  dotnet run --project examples/Embedding -- MAP IMAGES LABELS
using Tangent.Inference.Laplace;
using Tangent.Inference.Metrics;
using Tangent.Inference.Predictive;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

if (args.Length != 3) { Console.Error.WriteLine("usage: embedding MAP.safetensors IMAGES-IDX LABELS-IDX"); return 2; }
var (model, theta, state, _) = ZooCheckpoint.Load(args[0]);               // the network and its trained θ*
var (train, test) = IdxReader.ReadDataSet("images", args[1], args[2], 10).Split(248); // fit on 248 images, predict the rest
var backend = DeviceSelection.Default();
var prior = new LaplaceOptions(LaplacePrior.MarginalLikelihood);          // α chosen by the evidence
using var laplace = LastLayerLaplace.Fit(model, theta, state, train, prior, backend);
Console.WriteLine($"{model.Name}: last-layer Laplace on {train.Count} images, prior precision α* = {laplace.PriorPrecision:G4}");

var logits = laplace.Predict(test.Inputs, test.Count, offset: 0);        // Gaussian logits: mean [B, C], covariance [B, C, C]
using var predictor = new Predictor(backend, new PredictiveOptions(GaussianPredictive.MonteCarlo, Samples: 4096));
var p = predictor.Compute(logits);                                       // Monte Carlo over the logits, softmax, average
string[] names = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];
Console.WriteLine("image  label     predicted  probability  logit std  entropy");
for (int i = 0; i < test.Count; i++)
{
    var row = p.Probabilities.AsSpan(i * p.Classes, p.Classes);
    int k = ClassificationMetrics.ArgMax(row);
    double entropy = 0;
    foreach (double q in row) entropy -= q > 0 ? q * Math.Log(q) : 0;
    double std = Math.Sqrt(p.LogitVariance![i * p.Classes + k]);          // posterior spread of the winning logit
    Console.WriteLine($"{i,5}  {names[test.Labels[i]],-8}  {names[k],-9}  {row[k],11:F3}  {std,9:F3}  {entropy,7:F3}");
}
return 0;
