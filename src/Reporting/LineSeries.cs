using System.Collections.Generic;

namespace TypedNets.Reporting;

/// <summary>One line of a chart added with <see cref="Report.AddLineChart"/>: its name in the legend and its points.</summary>
/// <param name="Name">The name shown in the legend.</param>
/// <param name="X">The x value of each point, such as an iteration or an epoch.</param>
/// <param name="Y">The y value of each point; as many as <paramref name="X"/>, all finite.</param>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);
