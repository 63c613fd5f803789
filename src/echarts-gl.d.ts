// echarts-gl ships no types; importing it only registers its 3D series and components.
declare module 'echarts-gl';
