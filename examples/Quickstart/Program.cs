using System;
using Quickstart;

var network = new BinaryClassifier(seed: 42);
Console.WriteLine(BinaryClassifier.Summary);

var sample = BinaryClassifier.Sample.From([0.2f, 0.1f, 0.5f, 0.3f, 0.9f, 0.4f, 0.7f, 0.6f, 0.8f, 0.05f]);
BinaryClassifier.Prediction prediction = network.Predict(sample);
Console.WriteLine($"p(class) = {prediction}, predicted class {prediction.ArgMax()}");
