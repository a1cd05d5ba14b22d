"""Kit del curso: datos, entrenamiento rápido, gráficos y autoevaluación (sin soluciones)."""
