global using Tangent.Tests.Shared;
